# run.cmake - the install_consumer test (cmake -P).
#
# 1. cmake --install <build> --prefix <WORK_DIR>/prefix
# 2. checks the installed tree: header, shared library with its SONAME and
#    only public symbols exported, static library, CMake package, numseq.pc
# 3. builds consumer.c through find_package(numseq) (shared and static
#    targets) and through pkg-config (shared, and static with --static),
# 4. runs all four; any failure fails the test.
#
# Inputs (-D): NUMSEQ_BUILD_DIR NUMSEQ_SOURCE_DIR WORK_DIR INSTALL_LIBDIR
#              C_COMPILER C_FLAGS EXE_LINKER_FLAGS GENERATOR
cmake_minimum_required(VERSION 3.19)

foreach(v NUMSEQ_BUILD_DIR NUMSEQ_SOURCE_DIR WORK_DIR INSTALL_LIBDIR C_COMPILER)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: -D${v}=... is required")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(libdir ${prefix}/${INSTALL_LIBDIR})
set(src ${NUMSEQ_SOURCE_DIR}/tests/install)
separate_arguments(cflags UNIX_COMMAND "${C_FLAGS}")
separate_arguments(ldflags UNIX_COMMAND "${EXE_LINKER_FLAGS}")

function(run)
  execute_process(COMMAND ${ARGV} COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
endfunction()

function(expect_file path)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "not installed: ${path}")
  endif()
endfunction()

# ---------------------------------------------------------------- 1. install
unset(ENV{DESTDIR})  # a DESTDIR from the caller's shell would move the tree
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
run(${CMAKE_COMMAND} --install ${NUMSEQ_BUILD_DIR} --prefix ${prefix})

# ------------------------------------------------------- 2. the installed tree
expect_file(${prefix}/include/numseq.h)
expect_file(${libdir}/libnumseq.a)
expect_file(${libdir}/libnumseq.so)
expect_file(${libdir}/cmake/numseq/numseqConfig.cmake)
expect_file(${libdir}/cmake/numseq/numseqConfigVersion.cmake)
expect_file(${libdir}/cmake/numseq/numseqTargets.cmake)
expect_file(${libdir}/pkgconfig/numseq.pc)

file(GLOB targets_files ${libdir}/cmake/numseq/numseqTargets*.cmake)
foreach(f IN LISTS targets_files)
  file(READ ${f} text)
  if(text MATCHES "PkgConfig::")
    message(FATAL_ERROR "${f} references a PkgConfig:: target, which consumers do not have")
  endif()
endforeach()

find_program(READELF NAMES readelf)
find_program(NM NAMES nm)
if(READELF)
  execute_process(COMMAND ${READELF} -d ${libdir}/libnumseq.so
    OUTPUT_VARIABLE dyn COMMAND_ERROR_IS_FATAL ANY)
  if(NOT dyn MATCHES "Library soname: \\[libnumseq\\.so\\.[0-9]+\\]")
    message(FATAL_ERROR "libnumseq.so has no SONAME libnumseq.so.N:\n${dyn}")
  endif()
  string(REGEX MATCH "libnumseq\\.so\\.[0-9]+" soname "${dyn}")
  expect_file(${libdir}/${soname})
  message(STATUS "SONAME: ${soname}")
endif()
if(NM)
  # Hidden visibility by default: only numseq_* may be exported, never the
  # numseq__* test hooks or anything else.
  execute_process(COMMAND ${NM} -D --defined-only ${libdir}/libnumseq.so
    OUTPUT_VARIABLE syms COMMAND_ERROR_IS_FATAL ANY)
  string(REGEX MATCHALL "[^\n]+" lines "${syms}")
  set(bad "")
  foreach(line IN LISTS lines)
    if(line MATCHES " [A-TV-Z] ([^ ]+)$")
      set(sym ${CMAKE_MATCH_1})
      if(NOT sym MATCHES "^numseq_[a-z]" AND NOT sym MATCHES "^_(init|fini)$")
        list(APPEND bad ${sym})
      endif()
    endif()
  endforeach()
  if(bad)
    message(FATAL_ERROR "libnumseq.so exports non-public symbols: ${bad}")
  endif()
endif()

# ------------------------------------------------ 3a. find_package(numseq)
set(bdir ${WORK_DIR}/cmake-consumer)
set(gen_args "")
if(GENERATOR)
  set(gen_args -G ${GENERATOR})
endif()
run(${CMAKE_COMMAND} -S ${src} -B ${bdir} ${gen_args}
  -DCMAKE_PREFIX_PATH=${prefix}
  -DEXPECT_PREFIX=${prefix}
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_C_COMPILER=${C_COMPILER}
  "-DCMAKE_C_FLAGS=${C_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}")
run(${CMAKE_COMMAND} --build ${bdir})

# ------------------------------------------------------- 3b. pkg-config
find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${libdir}/pkgconfig)
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs numseq
  OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "pkg-config --cflags --libs numseq: ${pc_flags}")
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
set(pdir ${WORK_DIR}/pc-consumer)
file(MAKE_DIRECTORY ${pdir})
# numseq.h must compile cleanly for consumers under strict warnings.
set(strict -Wall -Wextra -Wpedantic -Werror)
run(${C_COMPILER} ${cflags} ${strict} ${src}/consumer.c -o ${pdir}/consumer_pc ${pc_flags} ${ldflags})

# Static through pkg-config: the same, with --static for Libs.private and
# the archive named explicitly (-lnumseq alone would pick the .so).
execute_process(COMMAND ${PKG_CONFIG} --static --cflags --libs numseq
  OUTPUT_VARIABLE pcs_flags OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "pkg-config --static --cflags --libs numseq: ${pcs_flags}")
separate_arguments(pcs_flags UNIX_COMMAND "${pcs_flags}")
list(TRANSFORM pcs_flags REPLACE "^-lnumseq$" "-l:libnumseq.a")
run(${C_COMPILER} ${cflags} ${strict} -DNUMSEQ_STATIC_DEFINE ${src}/consumer.c
  -o ${pdir}/consumer_pc_static ${pcs_flags} ${ldflags})

# ----------------------------------------------------------------- 4. run
# The CMake-built binaries carry an RPATH to the prefix; LD_LIBRARY_PATH is
# for the pkg-config one.
set(ENV{LD_LIBRARY_PATH} ${libdir})
run(${bdir}/consumer_shared)
run(${bdir}/consumer_static)
run(${pdir}/consumer_pc)
run(${pdir}/consumer_pc_static)

if(READELF)
  foreach(exe ${bdir}/consumer_shared ${pdir}/consumer_pc ${bdir}/consumer_static ${pdir}/consumer_pc_static)
    execute_process(COMMAND ${READELF} -d ${exe} OUTPUT_VARIABLE dyn COMMAND_ERROR_IS_FATAL ANY)
    if(exe MATCHES "static$")
      if(dyn MATCHES "libnumseq")
        message(FATAL_ERROR "${exe} should link libnumseq.a but needs the shared library")
      endif()
    elseif(NOT dyn MATCHES "Shared library: \\[libnumseq\\.so\\.[0-9]+\\]")
      message(FATAL_ERROR "${exe} does not need libnumseq.so.N")
    endif()
  endforeach()
endif()
message(STATUS "install_consumer: all four consumers built and passed")
