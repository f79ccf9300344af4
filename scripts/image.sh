#!/usr/bin/env bash
# Build the base image of the test containers, $IMAGE (local/bookworm-systemd): Debian 12 with
# systemd as PID 1, python3 and python3-apt, so molecule's docker driver can run Ansible in it.
# No image registry is needed (none may be reachable): debootstrap a minbase root file system from
# the host's own Debian mirror, `docker import` it, then a small `docker build` adds systemd.
# Skipped when the image exists and carries the label of the current recipe (RECIPE_ID below), so
# editing the Dockerfile here rebuilds it; `CONGVU_REBUILD_IMAGE=1` forces a rebuild.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# An empty /etc/machine-id makes systemd give every container its own id at boot.
# Keep /var/lib/apt/lists: emptying it bumps the directory's mtime and the apt module's
# cache_valid_time then believes the cache is fresh, skips the update and fails ("No package matching").
DOCKERFILE=$(cat <<'EOF'
FROM local/bookworm-minbase
ENV container=docker
# the host's apt sources (same mirror, plus -updates and -security)
RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
COPY apt/ /etc/apt/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      systemd systemd-sysv dbus python3 python3-apt sudo ca-certificates iproute2 procps \
 && apt-get clean \
 && : > /etc/machine-id \
 && rm -f /etc/systemd/system/getty.target.wants/* \
 && systemctl mask systemd-udevd.service systemd-udevd-kernel.socket systemd-udevd-control.socket \
      getty.target console-getty.service systemd-firstboot.service
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
EOF
)
DOCKERFILE=${DOCKERFILE//local\/bookworm-minbase/$MINBASE_IMAGE}
RECIPE_ID=$(printf '%s' "$DOCKERFILE" | sha256sum | cut -c1-16)
LABEL=org.congvu.recipe

docker_ok || die "no docker engine answers (run scripts/docker-up.sh)"

have=$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$IMAGE" 2>/dev/null || true)
if [ "$have" = "$RECIPE_ID" ] && [ "${CONGVU_REBUILD_IMAGE:-0}" != 1 ]; then
  log "image: $IMAGE present (recipe $RECIPE_ID)"
  exit 0
fi
if [ -n "$have" ] || docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image: $IMAGE exists with recipe '${have:-none}', current is $RECIPE_ID: rebuilding"
fi

T0=$(now)
mkdir -p "$CACHE_DIR"

# 1. minbase root file system -> docker import (kept as $MINBASE_IMAGE for rebuilds)
if ! docker image inspect "$MINBASE_IMAGE" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || die "debootstrap missing (apt-get install debootstrap)"
  mirror=$(apt_mirror)
  rootfs="$CACHE_DIR/rootfs"
  as_root rm -rf "$rootfs"
  t=$(now)
  log "image: debootstrap --variant=minbase bookworm from $mirror (log: $CACHE_DIR/debootstrap.log)"
  if ! as_root debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1; then
    tail -n 30 "$CACHE_DIR/debootstrap.log" >&2
    die "image: debootstrap failed"
  fi
  log "image: debootstrap done in $(( $(now) - t ))s; importing as $MINBASE_IMAGE"
  as_root tar -C "$rootfs" -c . | docker import - "$MINBASE_IMAGE" >/dev/null
  as_root rm -rf "$rootfs"
fi

# 2. systemd layer
ctx="$CACHE_DIR/image"
rm -rf "$ctx"
mkdir -p "$ctx/apt/sources.list.d"
if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
  cp /etc/apt/sources.list.d/*.sources "$ctx/apt/sources.list.d/"
elif [ -f /etc/apt/sources.list ]; then
  cp /etc/apt/sources.list "$ctx/apt/sources.list"
else
  printf 'deb %s bookworm main\n' "$(apt_mirror)" >"$ctx/apt/sources.list"
fi
printf '%s\n' "$DOCKERFILE" >"$ctx/Dockerfile"
t=$(now)
log "image: docker build -t $IMAGE (systemd, python3, python3-apt, ...)"
# The legacy builder needs nothing beyond the engine (no buildx plugin, no BuildKit).
if ! DOCKER_BUILDKIT=0 docker build -q --label "$LABEL=$RECIPE_ID" -t "$IMAGE" "$ctx" >"$CACHE_DIR/build.log" 2>&1; then
  cat "$CACHE_DIR/build.log" >&2
  die "image: docker build failed"
fi
log "image: built in $(( $(now) - t ))s"
rm -rf "$ctx"
# the image this one replaced, if any, is now dangling
docker image prune -f --filter "label=$LABEL" >/dev/null || true

# 3. smoke test: systemd as PID 1 with the same options as the molecule platforms
name="congvu-smoke-$$"
docker run -d --name "$name" --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
  --security-opt apparmor=unconfined --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp "$IMAGE" >/dev/null
state=""
for _ in $(seq 1 60); do
  state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.5
done
if [ "$state" = degraded ]; then
  docker exec "$name" systemctl --failed --no-legend >&2 || true
fi
docker rm -f "$name" >/dev/null
case "$state" in
  running|degraded) log "image: smoke test: systemd in container is '$state'" ;;
  *) die "image: smoke test: systemd did not come up in $IMAGE (state '$state')" ;;
esac
log "image: $IMAGE ready in $(( $(now) - T0 ))s"
