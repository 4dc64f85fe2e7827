# Turns a text file into a C source defining `const char NAME[]` (its bytes, then a
# NUL), so that files such as code mode's JavaScript runtime live in the tree as what
# they are and still ship inside the binary. CMake alone does it (no xxd).
#   cmake -DIN=file -DOUT=file.c -DNAME=symbol -P EmbedText.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
# every byte as 0xNN, sixteen to a line
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line) # (CMake's regular expressions have no {16})
string(REGEX REPLACE "(${line})" "\\1\n    " bytes "${bytes}")
get_filename_component(from "${IN}" NAME)
file(WRITE "${OUT}.tmp"
  "/* Generated from ${from} by cmake/EmbedText.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const char ${NAME}[];\n"
  "extern const size_t ${NAME}_len;\n"
  "const char ${NAME}[] = {\n    ${bytes}0x00};\n"
  "const size_t ${NAME}_len = ${size};\n")
# rewritten only when it changes, so a re-run does not rebuild what uses it
configure_file("${OUT}.tmp" "${OUT}" COPYONLY)
file(REMOVE "${OUT}.tmp")
