// IPAddressAllow=/IPAddressDeny= with real sockets on the loopback: the
// test's own listener and client stand outside the unit, the service
// (tests/helpers/sandboxprobe) inside it. Each denial has its control: the
// same connection with the filter off or the address allowed succeeds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "helper_outside_tmp.h"
#include "support.h"

using namespace itest;

namespace {

std::string probe() { return helper_outside_tmp(HELPERS_DIR, "sandboxprobe"); }

// A TCP listener of the test's, outside every unit.
struct Listener {
  int fd = -1;
  int port = 0;
  explicit Listener(const char* address) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    REQUIRE(::inet_pton(AF_INET, address, &a.sin_addr) == 1);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  // Connections that reached it (accepted now, without waiting: the
  // service's connect() has returned before this is asked).
  int accepted() const {
    int n = 0;
    for (;;) {
      int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) break;
      ::close(c);
      ++n;
    }
    return n;
  }
};

// What the oneshot probe's connect() and UDP send to each target gave
// (errno, 0 for success), from its log.
struct Outcome {
  std::vector<int> tcp, udp;
};

Outcome connect_from_unit(const TempDir& dir, const std::string& name, const std::string& keys,
                          const std::string& targets) {
  TestUnit u(dir, name, probe() + " connect " + targets, {.extra = "Type=oneshot\n" + keys});
  RunResult start = u.start();
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  auto log = read_file(u.log());
  REQUIRE(log);
  INFO("log: " << *log);
  size_t at = log->find('{');
  REQUIRE(at != std::string::npos);
  auto j = parse_json(log->substr(at, log->find('\n', at) - at));
  return {j["tcp"].get<std::vector<int>>(), j["udp"].get<std::vector<int>>()};
}

using V = std::vector<int>;

// A connect() from outside every unit, which gives up after one SYN
// retransmission (TCP_SYNCNT=1: the kernel's ETIMEDOUT after about 3 s
// when no SYN-ACK comes, rather than a test timer).
int connect_from_outside(const std::string& address, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  int syncnt = 1;
  REQUIRE(::setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof syncnt) == 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(::inet_pton(AF_INET, address.c_str(), &a.sin_addr) == 1);
  int e = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
  ::close(fd);
  return e;
}

}  // namespace

TEST_CASE("ip firewall: IPAddressDeny=any stops the service reaching a listener on 127.0.0.1", "[ip-firewall]") {
  TempDir dir;
  Listener listener("127.0.0.1");
  std::string target = "127.0.0.1 " + std::to_string(listener.port);

  // A dropped SYN: connect() gives up (ETIMEDOUT, as under systemd); a
  // dropped datagram: sendto() fails with EPERM at once.
  Outcome denied = connect_from_unit(dir, "ipdeny", "IPAddressDeny=any\n", target);
  CHECK(denied.tcp == V{ETIMEDOUT});
  CHECK(denied.udp == V{EPERM});
  CHECK(listener.accepted() == 0);

  // The controls: no filter, and localhost allowed through the deny.
  Outcome free = connect_from_unit(dir, "ipfree", "", target);
  CHECK(free.tcp == V{0});
  CHECK(free.udp == V{0});
  CHECK(listener.accepted() == 1);
  Outcome local = connect_from_unit(dir, "iplocal", "IPAddressDeny=any\nIPAddressAllow=localhost\n", target);
  CHECK(local.tcp == V{0});
  CHECK(local.udp == V{0});
  CHECK(listener.accepted() == 1);
  // An empty line resets: the deny before it is gone.
  CHECK(connect_from_unit(dir, "ipreset", "IPAddressDeny=any\nIPAddressDeny=\n", target).udp == V{0});
  CHECK(listener.accepted() == 1);
}

TEST_CASE("ip firewall: a denied /32 blocks only that address", "[ip-firewall]") {
  TempDir dir;
  Listener one("127.0.0.1"), two("127.0.0.2");
  std::string targets = "127.0.0.1 " + std::to_string(one.port) + " 127.0.0.2 " + std::to_string(two.port);
  Outcome only_two = connect_from_unit(dir, "ipone", "IPAddressDeny=127.0.0.2/32\n", targets);
  CHECK(only_two.tcp == V{0, ETIMEDOUT});
  CHECK(only_two.udp == V{0, EPERM});
  CHECK(one.accepted() == 1);
  CHECK(two.accepted() == 0);
  // The other way round, as a network and an address.
  Outcome only_one = connect_from_unit(dir, "iptwo", "IPAddressDeny=127.0.0.0/8\nIPAddressAllow=127.0.0.2\n", targets);
  CHECK(only_one.tcp == V{ETIMEDOUT, 0});
  CHECK(only_one.udp == V{EPERM, 0});
  CHECK(one.accepted() == 0);
  CHECK(two.accepted() == 1);
}

TEST_CASE("ip firewall: a listener in a unit with IPAddressDeny=any is unreachable from outside", "[ip-firewall]") {
  TempDir dir;
  auto start_listener = [&](const std::string& name, const std::string& keys) {
    std::string port_file = dir / (name + ".port");
    auto u = std::make_unique<TestUnit>(dir, name, probe() + " listen 127.0.0.1 " + port_file,
                                        UnitOptions{.extra = "Type=notify\n" + keys});
    RunResult start = u->start();
    INFO(start.describe());
    REQUIRE(start.exit_code == 0);
    auto port = read_file(port_file);
    REQUIRE(port);
    return std::pair{std::move(u), std::stoi(*port)};
  };
  auto [denied, denied_port] = start_listener("ipin", "IPAddressDeny=any\n");
  RunResult status = denied->status();
  INFO(status.describe());
  CHECK(status.out.find("IPAddressDeny=any") != std::string::npos);
  // The SYN reaches the unit's socket and is dropped there: no SYN-ACK.
  CHECK(connect_from_outside("127.0.0.1", denied_port) == ETIMEDOUT);

  auto [open, open_port] = start_listener("ipinopen", "IPAddressDeny=any\nIPAddressAllow=127.0.0.1\n");
  CHECK(connect_from_outside("127.0.0.1", open_port) == 0);
  CHECK(denied->stop().exit_code == 0);
  CHECK(open->stop().exit_code == 0);
}

TEST_CASE("ip firewall: a cgroup left by a SIGKILLed monitor loses its filter when the unit no longer asks for it",
          "[ip-firewall]") {
  TempDir dir;
  std::string port_file = dir / "reuse.port";
  std::string exec = probe() + " listen 127.0.0.1 " + port_file;
  TestUnit u(dir, "ipreuse", exec, {.extra = "Type=notify\nIPAddressDeny=any\n"});
  REQUIRE(u.start().exit_code == 0);
  auto port = read_file(port_file);
  REQUIRE(port);
  CHECK(connect_from_outside("127.0.0.1", std::stoi(*port)) == ETIMEDOUT);
  std::vector<pid_t> monitors = u.monitors();
  REQUIRE(monitors.size() == 1);
  REQUIRE(::kill(monitors[0], SIGKILL) == 0);
  REQUIRE(wait_exit(monitors[0], 30000));

  // The same unit without the key: start ends what is left and reuses the
  // cgroup directory, whose earlier programs must go.
  REQUIRE(::unlink(port_file.c_str()) == 0);
  u.rewrite(exec, {.extra = "Type=notify\n"});
  RunResult again = u.start();
  INFO(again.describe());
  REQUIRE(again.exit_code == 0);
  port = read_file(port_file);
  REQUIRE(port);
  CHECK(connect_from_outside("127.0.0.1", std::stoi(*port)) == 0);
  CHECK(u.stop().exit_code == 0);
}
