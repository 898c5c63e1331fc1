/*
 * hs_hex: hex digits, read the same way everywhere bytes are written as hex
 * (payloads in scenario files, \u escapes in JSON text, seed generation).
 */
#ifndef HS_HEX_H
#define HS_HEX_H

/* Value of one hex digit, either case: 0 to 15, or -1 for anything else. */
int hs_hex_digit(int c);

#endif
