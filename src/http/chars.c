/*
 * The character classes of RFC 9110 and 9112 as one table, so that each
 * byte of a request costs one lookup. Generated from the grammar's
 * definitions (RFC 9110 5.5, 5.6.2, 5.6.4; RFC 3986 2.2, 2.3) and checked
 * against them by tests/http/test_parser.c.
 */
#include "http/http_int.h"

#define T PL_HTTP_C_TCHAR
#define V PL_HTTP_C_VCHAR
#define W PL_HTTP_C_WS
#define Q PL_HTTP_C_QDTEXT
#define R PL_HTTP_C_REGNAME

const uint8_t pl_http_char_class[256] = {
	/* 00 01 02 03 04 05 06 07 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 08 09 0a 0b 0c 0d 0e 0f */ 0, W|Q, 0, 0, 0, 0, 0, 0,
	/* 10 11 12 13 14 15 16 17 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 18 19 1a 1b 1c 1d 1e 1f */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 20 '!' '"' '#' '$' '%' '&' '\'' */ W|Q, T|V|Q|R, V, T|V|Q, T|V|Q|R, T|V|Q, T|V|Q|R, T|V|Q|R,
	/* '(' ')' '*' '+' ',' '-' '.' '/' */ V|Q|R, V|Q|R, T|V|Q|R, T|V|Q|R, V|Q|R, T|V|Q|R, T|V|Q|R, V|Q,
	/* '0' '1' '2' '3' '4' '5' '6' '7' */ T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R,
	/* '8' '9' ':' ';' '<' '=' '>' '?' */ T|V|Q|R, T|V|Q|R, V|Q, V|Q|R, V|Q, V|Q|R, V|Q, V|Q,
	/* '@' 'A' 'B' 'C' 'D' 'E' 'F' 'G' */ V|Q, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R,
	/* 'H' 'I' 'J' 'K' 'L' 'M' 'N' 'O' */ T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R,
	/* 'P' 'Q' 'R' 'S' 'T' 'U' 'V' 'W' */ T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R,
	/* 'X' 'Y' 'Z' '[' '\\' ']' '^' '_' */ T|V|Q|R, T|V|Q|R, T|V|Q|R, V|Q, V, V|Q, T|V|Q, T|V|Q|R,
	/* '`' 'a' 'b' 'c' 'd' 'e' 'f' 'g' */ T|V|Q, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R,
	/* 'h' 'i' 'j' 'k' 'l' 'm' 'n' 'o' */ T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R,
	/* 'p' 'q' 'r' 's' 't' 'u' 'v' 'w' */ T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R, T|V|Q|R,
	/* 'x' 'y' 'z' '{' '|' '}' '~' 7f */ T|V|Q|R, T|V|Q|R, T|V|Q|R, V|Q, T|V|Q, V|Q, T|V|Q|R, 0,
	/* 80 81 82 83 84 85 86 87 */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* 88 89 8a 8b 8c 8d 8e 8f */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* 90 91 92 93 94 95 96 97 */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* 98 99 9a 9b 9c 9d 9e 9f */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* a0 a1 a2 a3 a4 a5 a6 a7 */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* a8 a9 aa ab ac ad ae af */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* b0 b1 b2 b3 b4 b5 b6 b7 */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* b8 b9 ba bb bc bd be bf */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* c0 c1 c2 c3 c4 c5 c6 c7 */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* c8 c9 ca cb cc cd ce cf */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* d0 d1 d2 d3 d4 d5 d6 d7 */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* d8 d9 da db dc dd de df */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* e0 e1 e2 e3 e4 e5 e6 e7 */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* e8 e9 ea eb ec ed ee ef */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* f0 f1 f2 f3 f4 f5 f6 f7 */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
	/* f8 f9 fa fb fc fd fe ff */ V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q, V|Q,
};
