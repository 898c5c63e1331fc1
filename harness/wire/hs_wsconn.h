/*
 * hs_wsconn: the harness's own WebSocket client connection (RFC 6455).
 *
 * It speaks the protocol correctly when asked (hs_ws_send_text,
 * hs_ws_recv_message, hs_ws_close) and breaks it on purpose when asked
 * (hs_ws_send with any hs_frame_spec, hs_ws_send_raw, writes chopped into
 * N-byte pieces, handshake headers left out or wrong). It never judges the
 * peer's HTTP status: the caller decides what 101, 4xx or 5xx mean.
 *
 * Every byte in either direction is recorded in the options' transcript when
 * one is given (see hs_transcript.h). All waits are poll()-based with a
 * ceiling; nothing spins. Sends use MSG_NOSIGNAL so a peer reset is an error
 * code, never SIGPIPE.
 */
#ifndef HS_WSCONN_H
#define HS_WSCONN_H

#include <stddef.h>
#include <jansson.h>

#include "wire/hs_deflate.h"
#include "wire/hs_frame.h"
#include "wire/hs_wirefault.h"

#define HS_WS_OK 0
#define HS_WS_TIMEOUT 1        /* the ceiling passed first */
#define HS_WS_EOF 2            /* the peer closed TCP */
#define HS_WS_ERR -1           /* a local or socket error (see hs_ws_last_error) */
#define HS_WS_PROTO -2         /* the peer sent bytes that break RFC 6455 */

/* Largest frame or message payload accepted from the peer. */
#define HS_WS_MAX_PAYLOAD (64u * 1024 * 1024)

/* Largest HTTP response head, and the most of an error body kept. */
#define HS_WS_MAX_HEAD 16384
#define HS_WS_MAX_BODY 65536

typedef struct hs_wsconn hs_wsconn;

typedef struct hs_ws_opts {
    const char *host;
    int port;
    const char *path;                  /* may include ?query; NULL "/" */
    const char *key;                   /* Sec-WebSocket-Key: NULL random,
                                          "" header omitted */
    const char *version;               /* Sec-WebSocket-Version: NULL "13",
                                          "" header omitted */
    int omit_upgrade;                  /* leave out "Upgrade: websocket" */
    int omit_connection;               /* leave out "Connection: Upgrade" */
    const char *protocol;              /* Sec-WebSocket-Protocol, or NULL */
    const char *extensions;            /* Sec-WebSocket-Extensions, or NULL */
    const char *const *extra_headers;  /* "Name: value", NULL-terminated */
    const char *method;                /* request method; NULL "GET" */
    const char *http_version;          /* "1.0", ...; NULL "1.1" */
    int omit_host;                     /* leave out the Host header */
    int absolute_uri;                  /* request target http://host:port/path
                                          (RFC 6455 4.2.1 allows it) */
    size_t chop;                       /* write the request in pieces of
                                          this many bytes; 0: at once */
    int timeout_ms;                    /* connect + handshake ceiling, and
                                          each send's; 0 means 5000 */
    json_t *transcript;                /* borrowed; NULL records nothing */
    const hs_wire *wire;               /* faults from the first byte, or NULL */
    unsigned long seed;                /* the run's seed, for the jitter */
    const char *name;                  /* the connection's name, likewise */
} hs_ws_opts;

typedef struct hs_ws_handshake {
    int status;                        /* HTTP status code */
    char status_line[256];             /* printable ASCII only */
    json_t *headers;                   /* object, lowercased names; repeated
                                          headers joined with ", " */
    int accept_ok;                     /* Sec-WebSocket-Accept is right */
    char *body;                        /* bytes after a non-101 head, up to
                                          HS_WS_MAX_BODY, sanitized */
    int extensions_ok;                 /* a 101's Sec-WebSocket-Extensions is
                                          allowed by our offer (RFC 6455 4.1,
                                          RFC 7692 7.1) */
    char extensions_err[256];          /* why not, when it is not */
    int deflate;                       /* permessage-deflate is in use */
    hs_pmd_params deflate_params;      /* the server's answer, when it is */
} hs_ws_handshake;

/* One whole message, or the peer's close. */
typedef struct hs_ws_msg {
    int opcode;                        /* 1 text, 2 binary, 8 close, 10 pong
                                          (see hs_ws_report_pongs) */
    int compressed;                    /* it came compressed (RFC 7692) */
    unsigned char *data;               /* one extra NUL byte after len */
    size_t len;
    int close_code;                    /* opcode 8: the code, 1005 if none */
    char close_reason[128];            /* opcode 8: sanitized, may be cut */
} hs_ws_msg;

/*
 * Open TCP, send the opening handshake (RFC 6455 4.1) and read the response
 * head. Returns a connection whatever the status, with hs filled; bytes that
 * came after a 101 head are kept for the frame reader. When a 101 agrees to
 * permessage-deflate offered in o->extensions, compressed messages (RSV1 on
 * the first frame, RFC 7692 6) are inflated on receipt from then on. NULL
 * with err filled when TCP cannot connect, the ceiling passes, the peer
 * closes before the head ends, or the head is not HTTP. hs is always safe
 * to pass to hs_ws_handshake_free afterwards.
 */
hs_wsconn *hs_ws_connect(const hs_ws_opts *o, hs_ws_handshake *hs, char *err,
                         size_t errlen);

void hs_ws_handshake_free(hs_ws_handshake *hs);

/*
 * A bare TCP connection, no opening handshake: for clients that misbehave
 * before the upgrade (half a handshake, garbage). Send with hs_ws_send_raw.
 */
hs_wsconn *hs_ws_open_tcp(const hs_ws_opts *o, char *err, size_t errlen);

/* base64(SHA-1(key + GUID)), RFC 6455 4.2.2; out must hold 29 bytes. */
void hs_ws_accept_for(const char *key, char out[29]);

/*
 * Send one frame as specified; chop 0 writes it at once, else in pieces of
 * chop bytes. A masked spec gets a fresh random key unless fixed_key is set.
 * Sending a close frame counts as our close (see hs_ws_close).
 */
int hs_ws_send(hs_wsconn *c, const hs_frame_spec *s, size_t chop);

/* Write bytes as they are, chopped as above. */
int hs_ws_send_raw(hs_wsconn *c, const unsigned char *b, size_t n, size_t chop);

/* A well-formed, masked, final text frame. */
int hs_ws_send_text(hs_wsconn *c, const char *s, size_t n);

/* How hs_ws_send_message puts a message on the wire. */
typedef struct hs_ws_msg_opts {
    size_t fragment;                   /* payload bytes per frame; 0: one frame */
    int compress;                      /* permessage-deflate it (RSV1 on the
                                          first frame); needs an agreement */
    size_t chop;                       /* as for hs_ws_send */
} hs_ws_msg_opts;

/*
 * Send one data message (opcode 1 or 2) as a conforming client would,
 * compressed and fragmented as asked: the first frame carries the opcode,
 * the others are continuations, the last has FIN (RFC 6455 5.4). With
 * fragment set, the (compressed) payload is cut into pieces of that size.
 * HS_WS_ERR when compression is asked for but was not agreed.
 */
int hs_ws_send_message(hs_wsconn *c, int opcode, const unsigned char *p, size_t n,
                       const hs_ws_msg_opts *mo);

/*
 * Wire faults from now on (hs_wirefault.h), replacing the ones before; all
 * zero turns them off. Noted in the transcript.
 */
void hs_ws_set_wire(hs_wsconn *c, const hs_wire *w);

/* Read despite stop_reading or blackhole, still answering nothing that a
 * fault drops: how the judge watches a slow or dead peer's socket to see
 * when the target lets go of it. */
void hs_ws_observe(hs_wsconn *c, int on);

/* We read this connection: it is open and no wire fault stops reading. */
int hs_ws_reading(const hs_wsconn *c);

/* End TCP with a reset (RST) at once, nothing flushed; the connection is
 * then only good for hs_ws_free. */
void hs_ws_reset(hs_wsconn *c);

/* Shut our sending side (FIN) and keep reading: a half close. */
int hs_ws_half_close(hs_wsconn *c);

/* Make hs_ws_recv_message return pongs (opcode 10) instead of skipping
 * them: conformance checks wait for the answer to their pings. */
void hs_ws_report_pongs(hs_wsconn *c, int on);

/*
 * Read one frame exactly as the peer sent it, whatever it is. A close frame
 * is remembered (hs_ws_close_code) but not answered. HS_WS_PROTO when the
 * bytes cannot be a frame or declare more than HS_WS_MAX_PAYLOAD.
 */
int hs_ws_recv_frame(hs_wsconn *c, int timeout_ms, hs_frame *f);

/*
 * Read the next whole message, acting as a conforming client: fragments are
 * reassembled, compressed messages inflated, pings answered with pongs
 * (RFC 6455 5.5.2), pongs skipped; the peer's close is answered by echoing
 * its code (5.5.1) unless we sent ours, then returned as opcode 8. After
 * that, calls wait for the TCP close and return HS_WS_EOF. Masked frames,
 * RSV bits (but RSV1 on the first frame of a message once permessage-deflate
 * is agreed), reserved opcodes, broken fragmentation, oversized or
 * fragmented control frames, data that does not inflate and invalid UTF-8
 * in text are HS_WS_PROTO (5.1, 5.2, 5.4, 5.5, 8.1; RFC 7692 6.1, 7.2.2).
 * timeout_ms is the ceiling for the whole call. Free m with hs_ws_msg_free.
 */
int hs_ws_recv_message(hs_wsconn *c, int timeout_ms, hs_ws_msg *m);

void hs_ws_msg_free(hs_ws_msg *m);

/*
 * Client-initiated close (RFC 6455 7.1.2): send a close frame (code 0: no
 * payload), then wait for the peer's close frame and its TCP close. HS_WS_OK
 * when both came, HS_WS_EOF when TCP ended without a close frame,
 * HS_WS_TIMEOUT when the ceiling passed first. *peer_code (if not NULL)
 * gets hs_ws_close_code.
 */
int hs_ws_close(hs_wsconn *c, int code, const char *reason, int timeout_ms,
                int *peer_code);

/* Has the peer closed TCP? */
int hs_ws_closed(const hs_wsconn *c);

/* The peer's close code: 0 none yet, 1005 a close frame without a code,
 * 1006 TCP ended without a close frame. */
int hs_ws_close_code(const hs_wsconn *c);

/* Why the last call failed, for people; never holds raw peer bytes. */
const char *hs_ws_last_error(const hs_wsconn *c);

int hs_ws_fd(const hs_wsconn *c);

/* Close the socket without a close frame (also "disconnect"). */
void hs_ws_free(hs_wsconn *c);

#endif
