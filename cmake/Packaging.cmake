# A .deb of the dynamic build for Debian users (`cpack -G DEB` in the build directory), with
# Depends computed from the binary by dpkg-shlibdeps. The static release binary comes from
# scripts/release.sh instead. Kept out of CMakeLists.txt so the install rules there stay the
# only place that says what gets installed; the CLI rule below is the one the package needs.
include(GNUInstallDirs)
install(TARGETS ccodex_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT cli)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "ccodex")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "ccodex maintainers <ccodex@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "coding agent in C, compatible with OpenAI's Codex CLI")
set(CPACK_PACKAGE_DESCRIPTION "ccodex runs Codex-style agent turns (exec, an interactive REPL),
a Responses API server in front of Chat Completions backends, and portable homes.")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "devel")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps sees only what the program links; the libraries it loads on first use
# (cmake/LazyLibs.cmake) are named here by the Debian packages that hold them
get_property(cx_lazy GLOBAL PROPERTY CX_LAZY_LOADED)
find_program(CX_DPKG dpkg)
set(cx_lazy_debs "")
if(CX_DPKG)
  foreach(lib ${cx_lazy})
    get_filename_component(real ${lib} REALPATH)
    execute_process(COMMAND ${CX_DPKG} -S ${real} OUTPUT_VARIABLE owner ERROR_QUIET)
    if(owner MATCHES "^([^:, ]+)")
      list(APPEND cx_lazy_debs ${CMAKE_MATCH_1})
    endif()
  endforeach()
endif()
list(REMOVE_DUPLICATES cx_lazy_debs)
list(FILTER cx_lazy_debs EXCLUDE REGEX "-dev$")
list(JOIN cx_lazy_debs ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates, ripgrep")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nodejs, git")
include(CPack)
