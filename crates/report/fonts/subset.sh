#!/usr/bin/env bash
# Makes DejaVuSans-subset.ttf, the font the PNG report draws its text with
# (embedded with include_bytes!, so no system font is looked up at run
# time). From Debian's fonts-dejavu-core (DejaVu Sans 2.37, Bitstream Vera
# license with public-domain DejaVu changes: see LICENSE-DejaVu.txt).
# Needs fonttools (`pip install fonttools`); only for regenerating the file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}
# Latin (ASCII, Latin-1, Latin Extended-A), dashes and quotes, bullet,
# ellipsis, arrows, minus, <= and >=, geometric triangles, U+FFFD (what
# the sanitizer draws in place of control and bidi characters).
pyftsubset "$src" \
  --unicodes="U+0020-007E,U+00A0-017F,U+2010-2027,U+2190-2193,U+2212,U+2264-2265,U+25B2,U+25BC,U+FFFD" \
  --layout-features='kern' --no-hinting --desubroutinize \
  --name-IDs='*' --name-legacy --name-languages='*' \
  --output-file="$here/DejaVuSans-subset.ttf"
ls -l "$here/DejaVuSans-subset.ttf"
