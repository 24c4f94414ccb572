// A string stored in place, for constant tables: FixedText<N> holds up to
// N-1 characters and a NUL. A table row that points at a string literal
// (const char*, std::string_view) is relocated when the binary is loaded (it
// is a PIE), and the loader's write dirties every page of such a table in
// every unitrun process, the idle monitors included. A row that holds its
// characters is constant data: clean, shared pages that are never written.
#pragma once

#include <cstddef>
#include <string_view>

namespace unitrun {

template <size_t N>
struct FixedText {
  char text[N];

  // Implicit, so that a table still reads as strings. A string that does not
  // fit is an error: in a constant expression (a constexpr table), a compile
  // error.
  constexpr FixedText(const char* s) : text{} {  // NOLINT(google-explicit-constructor)
    for (size_t k = 0; s[k]; ++k) {
      if (k + 1 >= N) throw "FixedText: the string does not fit";
      text[k] = s[k];
    }
  }
  constexpr FixedText(std::nullptr_t) : text{} {}  // NOLINT(google-explicit-constructor): the empty string

  const char* c_str() const { return text; }
  std::string_view view() const { return text; }
  bool empty() const { return text[0] == '\0'; }
};

}  // namespace unitrun
