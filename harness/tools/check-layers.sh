#!/usr/bin/env bash
# check-layers.sh: every #include of the judge and the gateway against the
# layer table of harness/README.md (the rows between its "layers" markers).
# A folder may include itself, the folders its row lists, and common/ (the
# fault catalogue both programs share). Prints each include that breaks the
# table as FILE:LINE and exits 1 if there is one.
set -u
cd "$(dirname "$0")/../.."
page=harness/README.md

# "folder allowed..." per table row, e.g. "judge util wire scenario target".
rows=$(sed -n '/<!-- layers:/,/<!-- \/layers -->/p' "$page" |
       sed -n 's/^| `\([a-z]*\)\/` |[^|]*|\(.*\)|$/\1 \2/p')
[ -n "$rows" ] || { echo "check-layers: no layer table in $page" >&2; exit 2; }

bad=0
while read -r folder allowed; do
    for f in harness/"$folder"/*.[ch]; do
        [ -e "$f" ] || continue
        # "#include "wire/hs_frame.h"" -> "LINE wire"; faults.def is common/.
        while IFS=: read -r line dep; do
            case " $folder $allowed common " in
            *" $dep "*) ;;
            *) echo "$f:$line: includes $dep/, which $folder/ may not (harness/README.md)"
               bad=1 ;;
            esac
        done < <(sed -n 's|^[[:space:]]*#[[:space:]]*include "\([a-z]*\)/.*|\1|p; s|^[[:space:]]*#[[:space:]]*include "faults\.def".*|common|p' "$f" |
                 paste -d: <(grep -n '^[[:space:]]*#[[:space:]]*include "\([a-z]*/\|faults\.def\)' "$f" | cut -d: -f1) -)
    done
done <<<"$rows"
[ $bad = 0 ] && echo "layers: $(wc -l <<<"$rows") folders, every include allowed"
exit $bad
