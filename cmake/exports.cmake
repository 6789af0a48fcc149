# Writes the linker version script of the shared libpadlock: exactly the
# functions declared in the installed headers are exported, every other
# symbol (the pl_ functions of private headers too) stays inside.
#   cmake -DOUT=padlock.map -DDIR=include/padlock -DNAMES=common,tls -P exports.cmake
set(names "")
string(REPLACE "," ";" NAMES "${NAMES}")
foreach(header ${NAMES})
  file(READ ${DIR}/${header}.h text)
  # Comments name functions too; only declarations count.
  string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" "" text "${text}")
  string(REGEX MATCHALL "[ *]pl_[a-z0-9_]+\\(" found "${text}")
  foreach(f ${found})
    string(REGEX REPLACE "^[ *](.*)\\($" "\\1" f "${f}")
    list(APPEND names ${f})
  endforeach()
endforeach()
list(REMOVE_DUPLICATES names)
list(SORT names)
set(map "PADLOCK_0 {\n  global:\n")
foreach(n ${names})
  string(APPEND map "    ${n};\n")
endforeach()
string(APPEND map "  local:\n    *;\n};\n")
file(WRITE ${OUT}.tmp "${map}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
