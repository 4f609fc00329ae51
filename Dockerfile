# Worker (and head) image for running `polyglyph generate` on a Ray cluster.
# Build:  docker build -t polyglyph:0.1 .
# Every node of the cluster must run the same image: a shard's bytes depend on the exact
# versions of Pillow/HarfBuzz, libjpeg, numpy, pyarrow and the fonts, so mixing images breaks
# the "same config + seed -> same sha256" guarantee. Python packages come from
# requirements/lock.txt (hashes checked), so two builds on different days install the same set.
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    POLYGLYPH_LOCK=/opt/polyglyph/requirements/lock.txt

# Fonts (Noto core/extra/CJK + handwriting faces), libfribidi for raqm, Tesseract + languages.
# Chromium is only needed by the preview test; leave it out of worker images.
COPY tools/apt-packages.txt /tmp/apt-packages.txt
RUN apt-get update -qq \
 && grep -v '^\s*#' /tmp/apt-packages.txt | grep -v '^\s*$' | grep -vx chromium \
    | xargs apt-get install -y -qq --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/apt-packages.txt

# Dependencies before code: a code change does not reinstall them.
WORKDIR /opt/polyglyph
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --require-hashes --no-deps -r requirements/lock.txt \
# ray[default] adds the dashboard and job server that `ray job submit` talks to (head node),
# at the locked Ray version so all nodes match.
 && pip install "ray[default]==$(python -c 'from importlib.metadata import version; print(version("ray"))')"

COPY pyproject.toml README.md ./
COPY synth ./synth
COPY warping ./warping
COPY qa_factory ./qa_factory
COPY fonts_manifest ./fonts_manifest
COPY pipelines ./pipelines
RUN pip install --no-deps . && polyglyph doctor

# Run as an unprivileged user; its home holds the font cache.
RUN useradd --create-home --uid 1000 polyglyph
USER polyglyph

# Ray's default ports: GCS 6379, dashboard 8265, client 10001.
EXPOSE 6379 8265 10001
CMD ["bash"]
