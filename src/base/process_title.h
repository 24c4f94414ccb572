// The process title `ps` shows (/proc/PID/cmdline): a daemonized monitor
// should read `unitrun monitor NAME`, not the command line of the `start`
// that forked it. The kernel shows the memory that held argv, so the title
// is written there, within its size (the environment after it is left
// alone: /proc/PID/environ stays true).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace unitrun {

// Remembers where argv lives; main() calls it before anything else.
void init_process_title(int argc, char** argv);

// Writes `words` (NUL-separated in the area, so readers see them as
// arguments) into argv's memory, cut to fit; returns false when nothing
// could be written (no argv recorded). The command name (/proc/PID/comm,
// what `ps -o comm`, `pgrep` and `top` show) becomes the first word, a
// trailing ':' left out ("unitrun"): it was argv[0]'s, `systemctl` where
// unitrun runs as systemctl.
bool set_process_title(std::initializer_list<std::string_view> words);

// How many bytes a title may take, its final NUL included (0: none recorded).
size_t process_title_capacity();

}  // namespace unitrun
