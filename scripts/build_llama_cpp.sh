#!/usr/bin/env bash
# Install llama-cpp-python built with portable CPU flags (AMX off: the default native build crashes on
# these machines). The wheel is cached under a folder named after the version and the flags, so it is
# built once per machine and a wheel built with other flags is never reused.
set -euo pipefail
PY=${1:?usage: build_llama_cpp.sh PYTHON}
VERSION=0.3.36
FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
KEY=$(printf '%s %s' "$VERSION" "$FLAGS" | sha256sum | cut -c1-16)
CACHE=${RAG_WHEEL_CACHE:-$HOME/.cache/paper-rag/wheels}/llama-cpp-python-$VERSION-$KEY
if ! ls "$CACHE"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $VERSION with portable flags (about 5 minutes)..."
  mkdir -p "$CACHE.tmp"
  CMAKE_ARGS="$FLAGS" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$PY" -m pip wheel --no-deps --no-binary llama-cpp-python \
    --no-cache-dir -w "$CACHE.tmp" "llama-cpp-python==$VERSION"
  rm -rf "$CACHE" && mv "$CACHE.tmp" "$CACHE"
fi
WHEEL=$(ls "$CACHE"/llama_cpp_python-*.whl | head -n 1)
"$PY" -m pip install -q --force-reinstall --no-deps "$WHEEL"
"$PY" -m pip install -q "${WHEEL}[server]"
echo "$KEY"
