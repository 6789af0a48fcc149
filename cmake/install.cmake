# What `make install` puts on a system (PREFIX and DESTDIR honoured):
#   bin/padlock
#   lib/libpadlock.a, lib/libpadlock.so.0 (the engine: crypto, x509, tls)
#   include/padlock/{common,crypto,x509,tls}.h, lib/pkgconfig/padlock.pc
#   share/man/man1/padlock*.1, share/man/man5/padlock.conf.5
#   lib/systemd/system/padlock.service (ExecStart names bin/padlock above)
# `make uninstall` removes the same files (cmake/uninstall.cmake).
include(GNUInstallDirs)

set(PADLOCK_ENGINE_LAYERS crypto x509 tls)
set(PADLOCK_ENGINE_HEADERS common crypto x509 tls)
string(REPLACE ";" "," PADLOCK_ENGINE_HEADERS_COMMA "${PADLOCK_ENGINE_HEADERS}")
set(engine_objects "")
set(engine_headers "")
foreach(layer ${PADLOCK_ENGINE_LAYERS})
  list(APPEND engine_objects $<TARGET_OBJECTS:padlock_${layer}>)
endforeach()
foreach(h ${PADLOCK_ENGINE_HEADERS})
  list(APPEND engine_headers ${CMAKE_SOURCE_DIR}/include/padlock/${h}.h)
endforeach()

# The export list: every function the installed headers declare.
set(PADLOCK_MAP ${CMAKE_BINARY_DIR}/padlock.map)
add_custom_command(OUTPUT ${PADLOCK_MAP}
  COMMAND ${CMAKE_COMMAND} -DOUT=${PADLOCK_MAP}
          -DDIR=${CMAKE_SOURCE_DIR}/include/padlock
          -DNAMES=${PADLOCK_ENGINE_HEADERS_COMMA}
          -P ${CMAKE_SOURCE_DIR}/cmake/exports.cmake
  DEPENDS ${engine_headers} ${CMAKE_SOURCE_DIR}/cmake/exports.cmake
  COMMENT "Exports of libpadlock.so from the installed headers" VERBATIM)
add_custom_target(padlock_map DEPENDS ${PADLOCK_MAP})

add_library(padlock_static STATIC ${engine_objects})
add_library(padlock_shared SHARED ${engine_objects})
foreach(t padlock_static padlock_shared)
  set_target_properties(${t} PROPERTIES OUTPUT_NAME padlock
                        ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib
                        LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
endforeach()
set_target_properties(padlock_shared PROPERTIES
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
  LINK_DEPENDS ${PADLOCK_MAP})
add_dependencies(padlock_shared padlock_map)
target_link_libraries(padlock_shared PRIVATE OpenSSL::Crypto Threads::Threads)
target_link_options(padlock_shared PRIVATE -Wl,--no-undefined
                    -Wl,--version-script=${PADLOCK_MAP})

# padlock.pc, with the paths the install will have.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(PADLOCK_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(PADLOCK_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(PADLOCK_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(PADLOCK_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/padlock.pc.in
               ${CMAKE_BINARY_DIR}/padlock.pc @ONLY)

# The systemd unit runs the padlock this install puts in bin/.
file(READ ${CMAKE_SOURCE_DIR}/dist/padlock.service unit)
string(REPLACE "/usr/local/bin/padlock" "${CMAKE_INSTALL_FULL_BINDIR}/padlock"
       unit "${unit}")
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/padlock.service CONTENT "${unit}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_SOURCE_DIR}/dist/padlock.service)

# Man pages, made from docs/ by cmake/md2man.py.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(PADLOCK_MAN_DIR ${CMAKE_BINARY_DIR}/man)
set(man_pages "")
function(padlock_man name section description doc)
  set(out ${PADLOCK_MAN_DIR}/${name}.${section})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PADLOCK_MAN_DIR}
    COMMAND Python3::Interpreter ${CMAKE_SOURCE_DIR}/cmake/md2man.py
            ${name} ${section} ${description} ${out}
            ${CMAKE_SOURCE_DIR}/docs/${doc} --version ${PROJECT_VERSION} ${ARGN}
    DEPENDS ${CMAKE_SOURCE_DIR}/docs/${doc} ${CMAKE_SOURCE_DIR}/cmake/md2man.py
            ${CMAKE_SOURCE_DIR}/dist/padlock.conf.example
    VERBATIM)
  set(man_pages ${man_pages} ${out} PARENT_SCOPE)
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endfunction()
padlock_man(padlock 1 "HTTPS on port 443: serve, get, check, cert" padlock.md)
padlock_man(padlock-serve 1 "the HTTPS server on port 443" padlock-serve.md)
padlock_man(padlock-get 1 "fetch an HTTPS URL and show its handshake" padlock-get.md)
padlock_man(padlock-check 1 "diagnose and grade a site's HTTPS" padlock-check.md)
padlock_man(padlock-cert 1 "a local certificate authority for development" padlock-cert.md)
padlock_man(padlock.conf 5 "the configuration file of padlock serve" padlock-serve.md
            --section "## Several sites: the configuration file"
            --example ${CMAKE_SOURCE_DIR}/dist/padlock.conf.example)
add_custom_target(padlock_man ALL DEPENDS ${man_pages})

install(TARGETS padlock_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS padlock_static padlock_shared
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${engine_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/padlock)
install(FILES ${CMAKE_BINARY_DIR}/padlock.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${CMAKE_BINARY_DIR}/padlock.service
        DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)

# Everything install copies, built by one target (the Makefile's install
# builds this, not the tests).
add_custom_target(padlock_installable DEPENDS padlock_cli padlock_static
                  padlock_shared padlock_man)

# Removes what install puts there: install once into a scratch directory,
# then delete the same paths under $DESTDIR.
add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DBUILD=${CMAKE_BINARY_DIR}
          -DPREFIX=${CMAKE_INSTALL_PREFIX}
          -P ${CMAKE_SOURCE_DIR}/cmake/uninstall.cmake
  VERBATIM)
