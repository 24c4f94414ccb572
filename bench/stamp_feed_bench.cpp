// LineStamper::feed alone (X-Unitrun-Timestamps=yes's splitter and stamper,
// runtime/line_stamp.h): 256 MiB of 100-byte lines fed in reads of CHUNK
// bytes (default 8192, what head writes at a time):
//   build/bench/unitrun_stamp_feed_bench [CHUNK]
#include <chrono>
#include <cstdio>
#include <string>

#include "runtime/line_stamp.h"
using namespace unitrun;
int main(int argc, char** argv) {
  size_t chunk = argc > 1 ? std::stoul(argv[1]) : 8192;
  std::string line(99, 'x');
  line += '\n';
  std::string data;
  while (data.size() < (1u << 20)) data += line;
  LineStamper s;
  std::string out;
  size_t total = 0;
  int64_t now = 1765000000000000;
  auto t0 = std::chrono::steady_clock::now();
  for (int rep = 0; rep < 256; ++rep) {
    for (size_t off = 0; off < data.size(); off += chunk) {
      std::string_view v(data.data() + off, std::min(chunk, data.size() - off));
      s.feed(v, now++, out);
      total += out.size();
      out.clear();
    }
  }
  auto dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("chunk %zu: %.1f ms for 256 MiB in, %.0f MiB/s (out %zu)\n", chunk, dt * 1e3, 256 / dt, total);
}
