// Compiling a file's bytes into the binary, so that a page's scripts are served or inlined with
// no file beside the executable and no network.
//
//   LRSWEEP_EMBED_FILE(my_script, "/abs/path/to/script.js")   // at namespace scope, in one .cc
//   extern "C" const char my_script_begin[], my_script_end[];
//   absl::string_view text(my_script_begin, my_script_end - my_script_begin);
//
// The path comes from CMake (an absolute path, listed in the source's OBJECT_DEPENDS so that an
// edit recompiles it). The assembler's .incbin copies the bytes; a NUL follows them.
//
// Thread safety: read-only data.
#ifndef LRSWEEP_COMMON_EMBEDDED_FILE_H_
#define LRSWEEP_COMMON_EMBEDDED_FILE_H_

#define LRSWEEP_EMBED_FILE(name, path)                            \
  asm(".section .rodata\n.global " #name "_begin\n" #name "_begin:\n" \
      ".incbin \"" path "\"\n.global " #name "_end\n" #name "_end:\n.byte 0\n.previous");

#endif  // LRSWEEP_COMMON_EMBEDDED_FILE_H_
