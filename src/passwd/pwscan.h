/*
 * pwscan - `passwd audit` over files: read Dovecot passwd-files (plain,
 * gzip or "-" for stdin) line by line through util/linereader, parse each
 * line (pwfile.h), audit the accounts in batches (pwaudit.h) so memory stays
 * flat on huge files, and report weak accounts on `out`: one line (or JSON
 * object) per finding, the account, its scheme, the reason and what it
 * means; the guessed password only when show is set. Bad lines, unreadable
 * files and files without accounts are reported on `err` as FILE:LINE:
 * message, the rest of the file is still audited, and the summary's `bad`
 * is set. A progress line with an ETA goes to `err` when progress is set.
 */
#ifndef MW_PWSCAN_H
#define MW_PWSCAN_H

#include "pwaudit.h"

#include <stdint.h>
#include <stdio.h>

struct pwscan_opts {
    struct pwaudit_opts audit;
    int json, show, progress;
    size_t batch; /* accounts a batch (default 1024) */
};

struct pwscan_summary {
    uint64_t accounts, findings, weak_accounts, guessed, weak_schemes, weak_plain;
    uint64_t bad_lines, hashes;
    double seconds;
    int bad; /* some input could not be read or parsed */
};

int pwscan_run(const struct pwscan_opts *o, char *const *files, int nfiles, FILE *out, FILE *err,
               struct pwscan_summary *s);

#endif
