#!/usr/bin/env bash
# pin-images.sh [DOCKERFILE]: pins each image a Dockerfile builds FROM to the
# digest its tag names now, as image:tag@sha256:…, so a build uses exactly
# the bytes that were reviewed. Run by an operator with network access
# (`make pin-images`); Dependabot's docker updates then move tag and digest
# together. An image already pinned is pinned again to its tag's current
# digest. Stage names, scratch and ARG-built references are left alone.
#
# It asks the registry with crane (`crane digest`) or, without crane, with
# `docker buildx imagetools inspect`.
set -euo pipefail

file=${1:-Dockerfile}
if command -v crane >/dev/null 2>&1; then
  digest() { crane digest "$1"; }
elif command -v docker >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; then
  digest() { docker buildx imagetools inspect --format '{{.Manifest.Digest}}' "$1"; }
else
  echo "pin-images: needs crane or docker with buildx on PATH, and network access to the registries." >&2
  echo "Install one (GOBIN=\$PWD/.bin go install github.com/google/go-containerregistry/cmd/crane@v0.22.1, or Docker with buildx) and run make pin-images again." >&2
  exit 2
fi
[ -f "$file" ] || { echo "pin-images: no $file" >&2; exit 2; }

# FROM [--flag=value …] image[:tag][@sha256:…] [AS name]
from_re='^([[:space:]]*[Ff][Rr][Oo][Mm][[:space:]]+(--[^[:space:]]+[[:space:]]+)*)([^[:space:]@]+)(@sha256:[0-9a-f]+)?([[:space:]].*)?$'
as_re='[[:space:]][Aa][Ss][[:space:]]+([^[:space:]]+)'
stages=" "
out=$(mktemp "$file.XXXXXX")
trap 'rm -f "$out"' EXIT
changed=0
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ $from_re ]]; then
    head=${BASH_REMATCH[1]} image=${BASH_REMATCH[3]} old=${BASH_REMATCH[4]} tail=${BASH_REMATCH[5]}
    if [[ $tail =~ $as_re ]]; then
      stage=${BASH_REMATCH[1]}
    else
      stage=""
    fi
    if [[ $image != scratch && $image != *'$'* && $stages != *" $image "* ]]; then
      d=$(digest "$image") || { echo "pin-images: cannot read the digest of $image" >&2; exit 1; }
      if [[ ! $d =~ ^sha256:[0-9a-f]{64}$ ]]; then
        echo "pin-images: $image: expected a sha256 digest, got: $d" >&2
        exit 1
      fi
      if [[ "@$d" != "$old" ]]; then
        echo "pinned $image@$d"
        changed=1
      else
        echo "already pinned $image@$d"
      fi
      line="$head$image@$d$tail"
    fi
    [ -n "$stage" ] && stages+="$stage "
  fi
  printf '%s\n' "$line" >>"$out"
done <"$file"
if [ "$changed" = 1 ]; then
  chmod --reference="$file" "$out" 2>/dev/null || true
  mv "$out" "$file"
fi
