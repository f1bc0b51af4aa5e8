/*
 * asn_format - the on-disk layout of the ASN table (*.mwdb), shared by the
 * writer (asn_build.c) and the reader (asn_table.c). Nothing else includes it.
 *
 * A file is a 256-byte header followed by sections at the offsets it names
 * (each 8-byte aligned), all in the byte order of the machine that wrote it
 * (byte_order tells; a reader refuses a foreign one):
 *
 *   v4_start  uint32_t[n_v4]       IPv4 segment starts, strictly increasing,
 *                                  the first 0: segment i runs to start[i+1]-1
 *   v4_info   uint32_t[n_v4]       index into info[], or ASN_NO_INFO (a gap)
 *   v6_hi     uint64_t[n_v6]       IPv6 segment starts, top 64 bits,
 *   v6_lo     uint64_t[n_v6]       and bottom 64 bits; (hi, lo) strictly
 *                                  increasing, the first ::; kept apart so
 *                                  the search reads only the top halves
 *   v6_info   uint32_t[n_v6]       (the IPv4-mapped block is never used)
 *   info      struct asn_file_info[n_info]  (asn, org, country) tuples
 *   strings   char[strings_size]   organisation names, each NUL-terminated,
 *                                  deduplicated; offset 0 is "" (no name)
 *
 * crc32 (zlib's) covers every byte after the header. Version 2 (1 kept IPv6
 * starts as 16-byte pairs).
 */
#ifndef MW_ASN_FORMAT_H
#define MW_ASN_FORMAT_H

#include <stdint.h>

#define ASN_FILE_MAGIC "MWASNTBL"
#define ASN_FILE_VERSION 2u
#define ASN_BYTE_ORDER 0x01020304u
#define ASN_NO_INFO 0xffffffffu
#define ASN_F_COUNTRY 1u     /* countries were merged in */
#define ASN_SOURCE_MAX 120   /* bytes of header.source, NUL included */
#define ASN_ORG_MAX 1024     /* longest organisation name kept, bytes */

struct asn_file_info {
    uint32_t asn;      /* 0: no ASN known (country only) */
    uint32_t org_off;  /* into strings */
    uint16_t org_len;
    char cc[2];        /* ISO 3166-1 alpha-2, or two NULs */
};

struct asn_file_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;
    uint32_t byte_order;
    uint32_t flags;
    uint64_t file_size;
    uint32_t n_v4, n_v6, n_info, n_orgs;
    uint64_t strings_size;
    uint64_t off_v4_start, off_v4_info, off_v6_hi, off_v6_lo, off_v6_info, off_info, off_strings;
    int64_t data_time;  /* UTC seconds of the data's date, 0 unknown */
    uint32_t crc32;
    uint32_t reserved0;
    char source[ASN_SOURCE_MAX]; /* data source and version, NUL-terminated */
    uint8_t reserved[8];
};

_Static_assert(sizeof(struct asn_file_header) == 256, "header is 256 bytes");
_Static_assert(sizeof(struct asn_file_info) == 12, "info is 12 bytes");

#endif
