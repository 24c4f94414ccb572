#!/nonexistent/interpreter
# Executable, so `unitrun check` accepts it; execve() fails with ENOENT at
# run time because the interpreter is missing (tests/e2e: exec-failure case).
