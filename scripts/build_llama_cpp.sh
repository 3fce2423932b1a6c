#!/usr/bin/env bash
# Install llama-cpp-python built with portable CPU flags (AVX2; AMX off: the default native build crashes on these
# machines), plus a second set of its native libraries built for AVX-512 (AMX still off) in
# $VENV/llama-cpp-avx512/. rag/llama_lib.py points LLAMA_CPP_LIB_PATH at that set only when /proc/cpuinfo shows
# every AVX-512 flag it was built for, so a CPU without AVX-512 runs the portable build and never crashes.
# Each wheel is cached under a folder named after the version and its flags, so it is built once per machine.
set -euo pipefail
PY=${1:?usage: build_llama_cpp.sh PYTHON}
VERSION=0.3.36
PORTABLE="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
AVX512="${PORTABLE/-DGGML_AVX512=OFF/-DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_BF16=OFF}"

build() {  # build (once) and print the path of the wheel for the given flags
  local flags=$1 key cache
  key=$(printf '%s %s' "$VERSION" "$flags" | sha256sum | cut -c1-16)
  cache=${RAG_WHEEL_CACHE:-$HOME/.cache/paper-rag/wheels}/llama-cpp-python-$VERSION-$key
  if ! ls "$cache"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "building llama-cpp-python $VERSION ($flags), about 5 minutes..." >&2
    rm -rf "$cache.tmp" && mkdir -p "$cache.tmp"
    CMAKE_ARGS="$flags" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$PY" -m pip wheel --no-deps --no-binary llama-cpp-python \
      --no-cache-dir -w "$cache.tmp" "llama-cpp-python==$VERSION" >&2
    rm -rf "$cache" && mv "$cache.tmp" "$cache"
  fi
  ls "$cache"/llama_cpp_python-*.whl | head -n 1
}

WHEEL=$(build "$PORTABLE")
"$PY" -m pip install -q --force-reinstall --no-deps "$WHEEL"
"$PY" -m pip install -q "${WHEEL}[server]"

# The AVX-512 libraries go beside the portable ones, unpacked through a temporary folder renamed into place.
VENV=$(cd "$(dirname "$PY")/.." && pwd)
WHEEL512=$(build "$AVX512")
rm -rf "$VENV/llama-cpp-avx512.tmp" && mkdir -p "$VENV/llama-cpp-avx512.tmp"
"$PY" - "$WHEEL512" "$VENV/llama-cpp-avx512.tmp" <<'PYEOF'
import sys, zipfile
from pathlib import Path
wheel, target = sys.argv[1], Path(sys.argv[2])
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("llama_cpp/lib/") and not name.endswith("/"):
            (target / Path(name).name).write_bytes(z.read(name))
PYEOF
printf '%s\n' avx512f avx512cd avx512vl avx512dq avx512bw avx512_vnni > "$VENV/llama-cpp-avx512.tmp/REQUIRES"
rm -rf "$VENV/llama-cpp-avx512" && mv "$VENV/llama-cpp-avx512.tmp" "$VENV/llama-cpp-avx512"
echo "llama-cpp-python $VERSION: portable $(basename "$(dirname "$WHEEL")"), AVX-512 $(basename "$(dirname "$WHEEL512")")"
