# make uninstall: removes every file `make install` puts under
# $DESTDIR$PREFIX, and the directories it made that are left empty.
# The list comes from installing into a scratch directory, so it is the
# same whether or not this build directory did the real install.
#   DESTDIR=... cmake -DBUILD=build -DPREFIX=/usr/local -P uninstall.cmake
set(stage ${BUILD}/uninstall-stage)
file(REMOVE_RECURSE ${stage})
execute_process(COMMAND ${CMAKE_COMMAND} -E env DESTDIR=${stage}
                        ${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX}
                OUTPUT_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "uninstall: cannot list the installed files (build first)")
endif()
file(GLOB_RECURSE staged LIST_DIRECTORIES false RELATIVE ${stage} ${stage}/*)
set(removed 0)
foreach(f ${staged})
  set(target "$ENV{DESTDIR}/${f}")
  if(EXISTS "${target}" OR IS_SYMLINK "${target}")
    file(REMOVE "${target}")
    message(STATUS "removed ${target}")
    math(EXPR removed "${removed} + 1")
  endif()
endforeach()
# Directories only padlock fills.
foreach(d include/padlock)
  file(GLOB left "$ENV{DESTDIR}${PREFIX}/${d}/*")
  if(NOT left AND IS_DIRECTORY "$ENV{DESTDIR}${PREFIX}/${d}")
    file(REMOVE_RECURSE "$ENV{DESTDIR}${PREFIX}/${d}")
  endif()
endforeach()
file(REMOVE_RECURSE ${stage})
message(STATUS "uninstall: ${removed} files removed")
