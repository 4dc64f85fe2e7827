# The ccodex program loads some shared libraries on first use instead of linking them
# (CCODEX_LAZY_LIBS, docs/RELEASE.md "Memory of the dynamic build"): libcurl.so.4 when a command
# first talks HTTP (src/cli/curl_dl.c), libedit when the REPL starts (src/cli/edit_dl.c),
# libevent and hiredis when a server or the Redis store starts (src/cli/event_dl.c). Debian's
# libcurl alone maps ~33 libraries before main. libccodex.a/.so, the tests and static builds
# link the libraries as usual.
#
# For each library: an INTERFACE target cx_<name> that the layers name in their LIBS. It carries
# the library's headers, and links either the library or, when the program being linked has the
# target property CX_LAZY_LIBS set, the loader cx_<name>_dl.
set(cx_static_link OFF)
if(CMAKE_EXE_LINKER_FLAGS MATCHES "(^| )-static( |$)")
  set(cx_static_link ON)
endif()
include(CMakeDependentOption)
cmake_dependent_option(CCODEX_LAZY_LIBS
  "ccodex program: load libcurl, libedit, libevent and hiredis on first use" ON
  "NOT cx_static_link" OFF)

# SONAME of the shared library a pkg-config module links (what dlopen must ask for)
function(cx_soname out pkg)
  set(so "")
  foreach(lib ${${pkg}_LINK_LIBRARIES})
    if(lib MATCHES "\\.so$")
      execute_process(COMMAND ${CMAKE_OBJDUMP} -p ${lib} OUTPUT_VARIABLE dump ERROR_QUIET)
      if(dump MATCHES "SONAME +([^\n ]+)")
        set(so ${CMAKE_MATCH_1})
        break()
      endif()
    endif()
  endforeach()
  set(${out} "${so}" PARENT_SCOPE)
endfunction()

# cx_lazy_lib(<name> SOURCE <loader.c> PKGS <pkg-config prefixes> SONAMES <MACRO=PKG ...>
#             [DEFINES <definitions for the loader>])
# Makes cx_<name>. The loader is used only if every SONAME is known and it compiles against the
# installed headers; otherwise the program links the libraries.
function(cx_lazy_lib name)
  cmake_parse_arguments(L "" "SOURCE" "PKGS;SONAMES;DEFINES" ${ARGN})
  add_library(cx_${name} INTERFACE)
  set(real "")
  set(incs "")
  set(opts "")
  foreach(pkg ${L_PKGS})
    list(APPEND real PkgConfig::${pkg})
    list(APPEND incs ${${pkg}_INCLUDE_DIRS})
    list(APPEND opts ${${pkg}_CFLAGS_OTHER})
  endforeach()
  target_include_directories(cx_${name} INTERFACE ${incs})
  target_compile_options(cx_${name} INTERFACE ${opts})
  set(ok ${CCODEX_LAZY_LIBS})
  set(defs ${L_DEFINES})
  foreach(d ${L_SONAMES}) # CX_CURL_SONAME=CURL
    string(REPLACE "=" ";" kv ${d})
    list(GET kv 0 macro)
    list(GET kv 1 pkg)
    cx_soname(so ${pkg})
    if(NOT so)
      set(ok OFF)
    endif()
    list(APPEND defs "${macro}=\"${so}\"")
  endforeach()
  if(ok)
    set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
    list(TRANSFORM defs PREPEND "-D" OUTPUT_VARIABLE try_defs)
    try_compile(cx_${name}_loader_builds ${CMAKE_BINARY_DIR}/cx_${name}_dl_check
      SOURCES ${L_SOURCE} COMPILE_DEFINITIONS -D_GNU_SOURCE ${try_defs}
      CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${incs}" C_STANDARD 17)
    if(NOT cx_${name}_loader_builds)
      message(STATUS "${L_SOURCE} does not match the installed headers: linking ${L_PKGS}")
      set(ok OFF)
    endif()
  endif()
  if(ok)
    # the libraries the program then loads without naming them (cmake/Packaging.cmake)
    foreach(pkg ${L_PKGS})
      set_property(GLOBAL APPEND PROPERTY CX_LAZY_LOADED ${${pkg}_LINK_LIBRARIES})
    endforeach()
    add_library(cx_${name}_dl STATIC ${L_SOURCE})
    target_compile_definitions(cx_${name}_dl PRIVATE ${defs})
    target_include_directories(cx_${name}_dl PRIVATE ${incs})
    target_compile_options(cx_${name}_dl PRIVATE ${opts})
    target_link_libraries(cx_${name}_dl PUBLIC ${CMAKE_DL_LIBS} Threads::Threads)
    target_link_libraries(cx_${name} INTERFACE
      $<IF:$<BOOL:$<TARGET_PROPERTY:CX_LAZY_LIBS>>,cx_${name}_dl,${real}>)
  else()
    target_link_libraries(cx_${name} INTERFACE ${real})
  endif()
endfunction()

# curl_url_get's handle became const in curl 8: the loader declares it as the installed curl.h
include(CheckCSourceCompiles)
set(CMAKE_REQUIRED_INCLUDES ${CURL_INCLUDE_DIRS})
check_c_source_compiles("#include <curl/curl.h>
CURLUcode curl_url_get(const CURLU *h, CURLUPart w, char **p, unsigned int f);
int main(void) { return 0; }" CX_CURL_URL_GET_CONST)
unset(CMAKE_REQUIRED_INCLUDES)
if(CX_CURL_URL_GET_CONST)
  set(cx_url_handle "CX_URL_GET_HANDLE=const CURLU")
else()
  set(cx_url_handle "CX_URL_GET_HANDLE=CURLU")
endif()

cx_lazy_lib(curl SOURCE ${PROJECT_SOURCE_DIR}/src/cli/curl_dl.c PKGS CURL
  SONAMES CX_CURL_SONAME=CURL DEFINES ${cx_url_handle})
cx_lazy_lib(edit SOURCE ${PROJECT_SOURCE_DIR}/src/cli/edit_dl.c PKGS LIBEDIT
  SONAMES CX_EDIT_SONAME=LIBEDIT)
cx_lazy_lib(event SOURCE ${PROJECT_SOURCE_DIR}/src/cli/event_dl.c PKGS EVENT HIREDIS
  SONAMES CX_EVENT_SONAME=EVENT CX_REDIS_SONAME=HIREDIS)
