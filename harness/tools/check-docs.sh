#!/usr/bin/env bash
# check-docs.sh: every Markdown document the sources and scripts name exists
# in the repository, so a comment never sends a reader to a page they lack.
# summary.md is a file each run writes (output/hs_results), not a document.
# Prints each missing one as FILE:LINE and exits 1 if there is one.
set -u
cd "$(dirname "$0")/../.."
bad=0
while IFS=: read -r file line name; do
    base=${name##*/}
    [ "$base" = summary.md ] && continue
    if [ -z "$(git ls-files "$name" "*/$base" "$base")" ]; then
        echo "$file:$line: names $name, which the repository does not have"
        bad=1
    fi
done < <(git grep -noE '[A-Za-z0-9_./-]*[A-Za-z0-9_-]+\.md\b' -- ':!*.md')
[ $bad = 0 ] && echo "docs: every document a source names is in the repository"
exit $bad
