/* pb: the one place untrusted protobuf is decoded. */
#ifndef COGOV_PB_H
#define COGOV_PB_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Unpack with an allocation budget (bytes, counting protobuf-c's own
 * allocations). Returns NULL if the bytes are not a valid message of `d` or
 * if decoding would need more than `budget` bytes: an allocation bomb is an
 * input error, never an abort. Free with pb_free(). */
ProtobufCMessage *pb_unpack(const ProtobufCMessageDescriptor *d,
                            const uint8_t *data, size_t len, size_t budget);
void pb_free(ProtobufCMessage *m);

/* An arena for messages decoded over and over (a follower's Batches): one
 * bump allocation per field instead of malloc/free, everything given back
 * at once by pb_arena_reset. Chunks up to PB_ARENA_KEEP bytes are kept for
 * the next message; larger ones are freed at the reset. */
#define PB_ARENA_KEEP (256 * 1024)
typedef struct pb_arena pb_arena_t;
pb_arena_t *pb_arena_new(void);
void pb_arena_destroy(pb_arena_t **ap);
/* Like pb_unpack, into the arena: the message lives until the next
 * pb_arena_reset (never pb_free it). NULL on invalid bytes or past the
 * budget, which bounds this message's allocations, counted as pb_unpack
 * counts them (messages decoded before it since the reset do not count),
 * plus, for a Batch's events (decoded one by one, see pb.c "deferred
 * elements"), their bytes once more: at most len. An Event decoded by hand
 * (pb.c, "reading an Event by hand") is charged less: one block for what
 * protobuf-c allocates in several, none of its scan's slabs. */
ProtobufCMessage *pb_unpack_arena(pb_arena_t *a,
                                  const ProtobufCMessageDescriptor *d,
                                  const uint8_t *data, size_t len,
                                  size_t budget);
/* Like pb_unpack_arena, except that the repeated fields it would unpack
 * element by element (see pb.c, "deferred elements": a Batch's events,
 * also inside Reply.batch) are left undecoded when *lazy comes back true:
 * such a field's array then holds ProtobufCBinaryData, element i the bytes
 * of message i, which the caller unpacks (pb_unpack_arena, same arena) or
 * skims as it likes; the bytes live in the arena. With *lazy false
 * everything is decoded as pb_unpack_arena decodes it (no such field, or
 * bytes that took protobuf-c's plain path). */
ProtobufCMessage *pb_unpack_arena_lazy(pb_arena_t *a,
                                       const ProtobufCMessageDescriptor *d,
                                       const uint8_t *data, size_t len,
                                       size_t budget, bool *lazy);
void pb_arena_reset(pb_arena_t *a);
/* Bytes charged to the budgets of the messages decoded since the reset (an
 * upper bound of what they hold). */
size_t pb_arena_used(const pb_arena_t *a);

/* What a stream consumer needs of a cogov.v1.Event it does not decode. */
#define PB_SKIM_AFTER 8
typedef struct pb_position_skim {
    const char *producer; /* into the bytes, NULL if absent; as C code sees
                             the decoded string: up to a NUL */
    size_t producer_len;
    uint64_t seq;
} pb_position_skim_t;
typedef struct pb_event_skim {
    uint32_t payload; /* the payload member's field number = payload case */
    const uint8_t *payload_data; /* its bytes (not read) */
    size_t payload_len;
    uint64_t seq;
    size_t n_after;
    pb_position_skim_t after[PB_SKIM_AFTER];
} pb_event_skim_t;
/* An Event's bytes for a follower: 1 with *ev decoded into the arena as
 * pb_unpack_arena decodes it, when want[payload case] (a table of n_want
 * entries; NULL: every case) or when the bytes cannot be skimmed; 0 with
 * *sk (seq, case, positions) as protobuf_c_message_unpack would decode
 * them, when the case is not wanted (the payload member's own bytes are
 * then not read: protobuf-c might refuse them); -EINVAL if the bytes do not
 * decode (past the budget too). See pb.c, "reading an Event by hand". */
int pb_event_take(pb_arena_t *a, const uint8_t *data, size_t len,
                  const uint8_t *want, size_t n_want, size_t budget,
                  const ProtobufCMessage **ev, pb_event_skim_t *sk);

/* Walk every field of m recursively: every string valid UTF-8 and at most
 * max_string bytes, every enum value known to its descriptor, every repeated
 * field at most max_repeated long, nesting at most 16 deep. Returns 0, or
 * -EINVAL with err naming the field path by field names, with [i] for
 * repeated entries ("apply_member.name: invalid UTF-8",
 * "batch.events[0].member_admitted.name: invalid UTF-8"; a oneof member is
 * named by itself: protobuf-c's descriptors do not carry oneof names). */
int pb_validate(const ProtobufCMessage *m, size_t max_string,
                size_t max_repeated, char *err, size_t errlen);

/* sizeof one element of a repeated field of type t in a protobuf-c struct
 * (the stride of its array). */
size_t pb_elem_size(ProtobufCType t);

/* Pack into a fresh xmalloc'd buffer; *len set. The bytes are
 * protobuf_c_message_pack's, made in one walk of the message (see pb.c,
 * "packing in one pass") that visits only the selected member of a large
 * oneof ("plans"). */
uint8_t *pb_pack(const ProtobufCMessage *m, size_t *len);
/* The same with at least `room` bytes to spare after the *len bytes. */
uint8_t *pb_pack_room(const ProtobufCMessage *m, size_t room, size_t *len);

/* protobuf_c_message_free_unpacked(m, NULL) for a message built with
 * malloc (xmalloc/xstrdup) or unpacked with the default allocator, visiting
 * only the selected member of a large oneof. NULL is fine. */
void pb_msg_free(ProtobufCMessage *m);

#endif
