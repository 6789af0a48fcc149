# The benchmark of issue 2, section 6 (bench/README.md): `make bench`.
#
# Only this target links libssl: OpenSSL's own TLS stack is the peer the
# engine is measured against. The --wrap options route libpadlock's malloc,
# calloc, realloc and free (a static library, so its calls are resolved at
# this link) through the benchmark's heap accounting.
find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto SSL)

add_executable(bench_handshake bench/handshake.c)
target_link_libraries(bench_handshake PRIVATE padlock OpenSSL::SSL
                      OpenSSL::Crypto)
target_link_options(bench_handshake PRIVATE
                    -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free)

# The load generator of bench/server.py (padlock serve beside nginx): a
# TLS client on libssl, not linked with padlock.
add_executable(bench_tls_load bench/tls_load.c)
target_link_libraries(bench_tls_load PRIVATE OpenSSL::SSL OpenSSL::Crypto)
