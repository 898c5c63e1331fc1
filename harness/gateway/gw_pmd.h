/*
 * gw_pmd: permessage-deflate (RFC 7692) on libwebsockets 4.1.6's own
 * extension, with the negotiation the gateway answers for.
 *
 * Left alone, lws 4.1.6 agrees to the first offer it meets whatever it
 * holds (unknown or repeated parameters, window sizes out of range), never
 * answers server_max_window_bits, resets its inflater on
 * server_no_context_takeover and its deflater on client_no_context_takeover
 * (the reverse of RFC 7692 7.1.1), and inflates with the window it
 * compresses with. So the gateway picks the offer itself and lets lws
 * confirm that one only (gw_pmd_confirm), and wraps lws' extension callback
 * (gw_pmd_callback) to answer server_max_window_bits, to reset each
 * direction as the RFC says and to inflate with the largest window.
 */
#ifndef GW_PMD_H
#define GW_PMD_H

#include <libwebsockets.h>

/* What one connection agreed to; lws zeroes it with the connection. */
typedef struct gw_pmd_conn {
    int offer;                 /* which permessage-deflate offer to confirm
                                  (1 the first); 0: none */
    int seen;                  /* offers lws has asked about so far */
    int server_no_context;     /* our deflater forgets each message */
    int client_no_context;     /* the client's does; ours may too */
    int server_bits;           /* server_max_window_bits answered; 0: none */
} gw_pmd_conn;

/*
 * Choose from a Sec-WebSocket-Extensions value (repeated headers joined
 * with ",", as lws copies them) the first offer that is valid under RFC
 * 7692 7.1 and that lws can be made to answer exactly; fill st. Returns the
 * offer's number, 0 when every offer is declined.
 */
int gw_pmd_choose(const char *header, gw_pmd_conn *st);

/*
 * LWS_CALLBACK_CONFIRM_EXTENSION_OKAY: lws asks once per permessage-deflate
 * offer, in order. 0 confirms the chosen one, 1 declines the others.
 */
int gw_pmd_confirm(struct lws *wsi, gw_pmd_conn *st);

/*
 * The extension callback to register, given the connection's state (NULL
 * when lws has none for it); everything else is lws' own.
 */
int gw_pmd_callback(gw_pmd_conn *st, struct lws_context *ctx,
                    const struct lws_extension *ext, struct lws *wsi,
                    enum lws_extension_callback_reasons reason, void *user,
                    void *in, size_t len);

#endif
