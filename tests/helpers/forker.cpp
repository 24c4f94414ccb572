// A service with an escapee: it forks a child that calls setsid() and forks a
// grandchild, then exits. The grandchild, in a session of its own and
// re-parented away from the main process, sleeps forever; so does the main
// process. A stop that only signals the main process's session or process
// group leaves the grandchild behind.
#include <sys/wait.h>
#include <unistd.h>

int main() {
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    if (setsid() < 0) _exit(3);
    pid_t grandchild = fork();
    if (grandchild < 0) _exit(4);
    if (grandchild == 0) {
      for (;;) pause();
    }
    _exit(0);
  }
  int status;
  while (waitpid(child, &status, 0) < 0) {
  }
  for (;;) pause();
}
