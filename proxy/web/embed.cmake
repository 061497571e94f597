# Writes a C++ source holding a file's bytes: cmake -DINPUT=... -DOUTPUT=... -DFUNCTION=... -P
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
math(EXPR size "${hex_length} / 2")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by proxy/web/embed.cmake; edit that file instead.\n"
  "#include <string_view>\n\nnamespace pgtally {\nnamespace {\n"
  "constexpr char kBytes[${size} + 1] = {${bytes} '\\0'};\n}  // namespace\n\n"
  "std::string_view ${FUNCTION}() { return {kBytes, ${size}}; }\n\n}  // namespace pgtally\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
