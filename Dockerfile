# Worker (and head) image for running `polyglyph generate` on a Ray cluster.
# Build:  docker build -t polyglyph:0.1 .
# Every node of the cluster must run the same image: a shard's bytes depend on the exact
# versions of Pillow/HarfBuzz, libjpeg, numpy, pyarrow and the fonts, so mixing images breaks
# the "same config + seed -> same sha256" guarantee.
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Fonts (Noto core/extra/CJK + handwriting faces), libfribidi for raqm, Tesseract + languages.
# Chromium is only needed by the preview test; leave it out of worker images.
COPY tools/apt-packages.txt /tmp/apt-packages.txt
RUN apt-get update -qq \
 && grep -v '^\s*#' /tmp/apt-packages.txt | grep -v '^\s*$' | grep -vx chromium \
    | xargs apt-get install -y -qq --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/apt-packages.txt

WORKDIR /opt/polyglyph
COPY pyproject.toml README.md ./
COPY synth ./synth
COPY warping ./warping
COPY qa_factory ./qa_factory
COPY fonts_manifest ./fonts_manifest
COPY pipelines ./pipelines
# ray[default] adds the dashboard and job server that `ray job submit` talks to (head node);
# pinned to the Ray version polyglyph resolved so all nodes match.
RUN pip install --upgrade pip && pip install . \
 && pip install "ray[default]==$(python -c 'import ray; print(ray.__version__)')" \
 && polyglyph doctor

# Ray's default ports: GCS 6379, dashboard 8265, client 10001.
EXPOSE 6379 8265 10001
CMD ["bash"]
