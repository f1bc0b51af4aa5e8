/*
 * msglink - a bounded table that links a message id (Postfix queue id, Exim
 * message id) to what the receiving side logged about it: the client
 * address, the authenticated account and method, the sender, the service.
 *
 * The table holds at most `cap` messages and forgets the oldest first (FIFO),
 * so memory stays flat however long the log; a message whose record was
 * forgotten simply loses its account/ip on later lines. Values longer than
 * their field are cut (an address or account name that long is junk).
 * msglink_get() returns a pointer into the table, valid until the next
 * msglink_put()/msglink_del(). Created with msglink_create, freed with
 * msglink_free.
 */
#ifndef MW_MSGLINK_H
#define MW_MSGLINK_H

#include <stddef.h>
#include <stdint.h>

#include "../event/event.h"

#define MSGLINK_KEY_MAX 40
#define MSGLINK_IP_MAX 46
#define MSGLINK_ACCOUNT_MAX 128
#define MSGLINK_SENDER_MAX 200
#define MSGLINK_METHOD_MAX 24

struct msglink_rec {
    int32_t next;      /* bucket chain */
    uint32_t hash;
    uint8_t used;
    uint8_t keylen, iplen, methodlen;
    uint8_t accountlen, senderlen;
    uint8_t service;   /* enum mw_service */
    int8_t tls;
    char key[MSGLINK_KEY_MAX];
    char ip[MSGLINK_IP_MAX];
    char method[MSGLINK_METHOD_MAX];
    char account[MSGLINK_ACCOUNT_MAX];
    char sender[MSGLINK_SENDER_MAX];
};

struct msglink;

struct msglink *msglink_create(size_t cap);
void msglink_free(struct msglink *ml);
/* msglink_put - the record for key, created (evicting the oldest) if absent. */
struct msglink_rec *msglink_put(struct msglink *ml, struct mw_slice key);
struct msglink_rec *msglink_get(struct msglink *ml, struct mw_slice key);
void msglink_del(struct msglink *ml, struct mw_slice key);
uint64_t msglink_evictions(const struct msglink *ml);

/* msglink_set - copy a slice into a record field (cut to the field's size). */
void msglink_set(char *dst, uint8_t *dstlen, size_t cap, struct mw_slice v);
#define MSGLINK_SET(rec, field, v) \
    msglink_set((rec)->field, &(rec)->field##len, sizeof((rec)->field), (v))
#define MSGLINK_SLICE(rec, field) \
    ((rec)->field##len ? MW_SLICE((rec)->field, (rec)->field##len) : (struct mw_slice){NULL, 0})

#endif
