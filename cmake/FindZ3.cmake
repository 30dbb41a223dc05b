# FindZ3: the Z3 SMT solver as the imported target z3::libz3 (Debian's libz3-dev ships no CMake
# config, only pkg-config; find_path/find_library cover a plain install prefix).
include_guard(GLOBAL)
include(FindPackageHandleStandardArgs)

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_Z3 QUIET z3)
endif()

find_path(Z3_INCLUDE_DIR NAMES z3++.h HINTS ${PC_Z3_INCLUDE_DIRS})
find_library(Z3_LIBRARY NAMES z3 libz3 HINTS ${PC_Z3_LIBRARY_DIRS})
set(Z3_VERSION "${PC_Z3_VERSION}")
if(NOT Z3_VERSION AND Z3_INCLUDE_DIR AND EXISTS "${Z3_INCLUDE_DIR}/z3_version.h")
  file(STRINGS "${Z3_INCLUDE_DIR}/z3_version.h" z3_version_lines
       REGEX "#define Z3_(MAJOR|MINOR|BUILD)_(VERSION|NUMBER)")
  foreach(part MAJOR MINOR BUILD)
    string(REGEX MATCH "Z3_${part}_[A-Z]+ +([0-9]+)" _ "${z3_version_lines}")
    list(APPEND z3_version_parts "${CMAKE_MATCH_1}")
  endforeach()
  list(JOIN z3_version_parts "." Z3_VERSION)
endif()

find_package_handle_standard_args(Z3 REQUIRED_VARS Z3_LIBRARY Z3_INCLUDE_DIR
                                  VERSION_VAR Z3_VERSION)

if(Z3_FOUND AND NOT TARGET z3::libz3)
  add_library(z3::libz3 UNKNOWN IMPORTED)
  set_target_properties(z3::libz3 PROPERTIES IMPORTED_LOCATION "${Z3_LIBRARY}"
                                             INTERFACE_INCLUDE_DIRECTORIES "${Z3_INCLUDE_DIR}")
endif()
mark_as_advanced(Z3_INCLUDE_DIR Z3_LIBRARY)
