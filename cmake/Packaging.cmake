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
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates, ripgrep")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nodejs, git")
include(CPack)
