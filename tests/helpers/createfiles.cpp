// createfiles FILE DIR: creates FILE with open(..., 0666) and DIR with
// mkdir(..., 0777), so the modes they get show the umask the service runs
// with; then sleeps forever. The file is created first and the directory
// last: once DIR exists, both are there.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return 3;
  close(fd);
  if (mkdir(argv[2], 0777) < 0) return 4;
  for (;;) pause();
}
