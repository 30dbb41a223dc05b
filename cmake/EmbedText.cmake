# Writes OUTPUT, a .cc defining `std::string_view NAMESPACE::SYMBOL` with the text of INPUT
# as a raw string literal (run at build time: cmake -DINPUT=... -DOUTPUT=... -P EmbedText.cmake).
file(READ "${INPUT}" text)
string(FIND "${text}" ")gyro_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )gyro_embed\"")
endif()
get_filename_component(source_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${source_name} by cmake/EmbedText.cmake; do not edit.\n"
  "#include <string_view>\n\n"
  "namespace ${NAMESPACE} {\n"
  "extern const std::string_view ${SYMBOL};\n"
  "const std::string_view ${SYMBOL} = R\"gyro_embed(${text})gyro_embed\";\n"
  "}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
