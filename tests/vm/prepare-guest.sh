#!/usr/bin/env bash
# Prepares the second-kernel guest for the VM test suite:
#   1. picks the newest Debian linux-image-<series>*-cloud-amd64-unsigned package apt knows,
#   2. downloads it once into a cache dir (apt verifies it against the signed archive index; we
#      also compare its sha256 with the SHA256 field of `apt-cache show`),
#   3. extracts the kernel (dpkg-deb -x) and checks that everything the scenarios use is built in,
#   4. builds an initramfs (cpio newc + gzip) holding busybox-static, build/bin (bpfscope, its
#      symlinks, the workloads), bpftool, every shared library ldd lists, the scenarios and /init.
#
# Usage: prepare-guest.sh --build-dir BUILD [--out DIR] [--cache-dir DIR] [--extra-bin DIR]
#   --out        default BUILD/vm-guest  (gets vmlinuz, initrd.gz, guest.env)
#   --cache-dir  default BUILD/vm-cache  (downloaded .deb and extracted kernels, reused between runs)
#   --extra-bin  default BUILD/vm-helpers (guest-only helper programs, /opt/bpfscope/vm-helpers)
# Environment:
#   BPFSCOPE_VM_KERNEL_SERIES   kernel series to pick the newest package of (default 6.1)
#   BPFSCOPE_VM_KERNEL_PACKAGE  exact package name, overrides the series search
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=""
out_dir=""
cache_dir=""
extra_bin_dir=""
while (($#)); do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out_dir=$2; shift 2 ;;
    --cache-dir) cache_dir=$2; shift 2 ;;
    --extra-bin) extra_bin_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "prepare-guest: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
die() {
  echo "prepare-guest: $*" >&2
  exit 1
}
[[ -n $build_dir ]] || die "--build-dir is required"
build_dir=$(cd "$build_dir" && pwd)
out_dir=${out_dir:-$build_dir/vm-guest}
cache_dir=${cache_dir:-$build_dir/vm-cache}
extra_bin_dir=${extra_bin_dir:-$build_dir/vm-helpers}
bin_dir=$build_dir/bin
[[ -x $bin_dir/bpfscope ]] || die "$bin_dir/bpfscope is missing: build first (make -C $build_dir -j2)"
# A fresh clone on a fresh machine: install what the VM suite needs (qemu-system-x86,
# busybox-static, cpio, ...) with the project's own script when we can.
have() { command -v "$1" > /dev/null || [[ -x /usr/sbin/$1 ]]; }
if ! have qemu-system-x86_64 || ! have busybox || ! have cpio || ! have bpftool; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "prepare-guest: installing missing packages with scripts/install-deps.sh" >&2
    "$here/../../scripts/install-deps.sh" || die "scripts/install-deps.sh failed"
  fi
fi
for tool in qemu-system-x86_64 busybox cpio gzip dpkg-deb apt-get apt-cache sha256sum ldd; do
  command -v "$tool" > /dev/null || die "'$tool' not found: run scripts/install-deps.sh"
done
busybox_bin=$(command -v busybox)
is_elf() { [[ $(head -c 4 "$1" 2> /dev/null | tail -c 3) == ELF ]]; }
if ! is_elf "$busybox_bin" || ldd "$busybox_bin" > /dev/null 2>&1; then
  die "$busybox_bin is not a static executable: install busybox-static (scripts/install-deps.sh)"
fi
mkdir -p "$out_dir" "$cache_dir"

# ---- 1. which kernel package --------------------------------------------------------------
series=${BPFSCOPE_VM_KERNEL_SERIES:-6.1}
find_kernel_packages() {
  local pattern="^linux-image-${series//./\\.}[.-].*-cloud-amd64-unsigned\$"
  apt-cache search --names-only "$pattern" | awk '{print $1}' | sort -V
}
package=${BPFSCOPE_VM_KERNEL_PACKAGE:-}
if [[ -z $package ]]; then
  candidates=$(find_kernel_packages)
  if [[ -z $candidates ]]; then
    echo "prepare-guest: apt knows no linux-image-${series}*-cloud-amd64-unsigned; running apt-get update" >&2
    apt-get update -qq || die "apt-get update failed (needs root and network)"
    candidates=$(find_kernel_packages)
  fi
  [[ -n $candidates ]] || die "no linux-image-${series}*-cloud-amd64-unsigned package in the apt sources"
  package=$(tail -n1 <<< "$candidates")
fi

# What the signed archive index says about the candidate version: its file name and sha256.
package_record=$(apt-cache show --no-all-versions "$package" 2> /dev/null) ||
  die "apt-cache show $package failed: unknown package"
expected_sha256=$(awk '/^SHA256:/ {print $2; exit}' <<< "$package_record")
archive_filename=$(awk '/^Filename:/ {print $2; exit}' <<< "$package_record")
package_version=$(awk '/^Version:/ {print $2; exit}' <<< "$package_record")
[[ -n $expected_sha256 && -n $archive_filename ]] ||
  die "apt-cache show $package has no SHA256/Filename field"
deb=$cache_dir/$(basename "$archive_filename")

# ---- 2. download once, verify every time ------------------------------------------------------
sha256_of() { sha256sum "$1" | awk '{print $1}'; }
if [[ -f $deb && $(sha256_of "$deb") != "$expected_sha256" ]]; then
  echo "prepare-guest: cached $(basename "$deb") does not match the archive's sha256; downloading again" >&2
  rm -f "$deb"
fi
if [[ ! -f $deb ]]; then
  echo "prepare-guest: downloading $package $package_version" >&2
  download_dir=$(mktemp -d "$cache_dir/download.XXXXXX")
  # apt's sandbox user cannot write into a root-owned build dir; the download is still checked
  # against the signed Release/Packages index by apt itself.
  (cd "$download_dir" && apt-get download -q -o APT::Sandbox::User=root "$package=$package_version") ||
    { rm -rf "$download_dir"; die "apt-get download $package=$package_version failed"; }
  downloaded=$(find "$download_dir" -name '*.deb' | head -n1)
  [[ -n $downloaded ]] || { rm -rf "$download_dir"; die "apt-get download produced no .deb"; }
  mv "$downloaded" "$deb"
  rm -rf "$download_dir"
fi
actual_sha256=$(sha256_of "$deb")
if [[ $actual_sha256 != "$expected_sha256" ]]; then
  rm -f "$deb"
  die "sha256 of $(basename "$deb") is $actual_sha256, apt-cache show says $expected_sha256: deleted it"
fi

# ---- 3. extract the kernel (once per package) --------------------------------------------------
kernel_dir=$cache_dir/${package}_${package_version}
if [[ ! -f $kernel_dir/vmlinuz || ! -f $kernel_dir/config ]]; then
  extract_dir=$(mktemp -d "$cache_dir/extract.XXXXXX")
  dpkg-deb -x "$deb" "$extract_dir"
  vmlinuz=$(find "$extract_dir/boot" -name 'vmlinuz-*' | head -n1)
  config=$(find "$extract_dir/boot" -name 'config-*' | head -n1)
  [[ -n $vmlinuz && -n $config ]] || { rm -rf "$extract_dir"; die "$(basename "$deb") has no boot/vmlinuz-* and boot/config-*"; }
  mkdir -p "$kernel_dir.tmp"
  cp "$vmlinuz" "$kernel_dir.tmp/vmlinuz"
  cp "$config" "$kernel_dir.tmp/config"
  basename "$vmlinuz" | sed 's/^vmlinuz-//' > "$kernel_dir.tmp/release"
  # Modules are not needed (checked below); keep only the kernel to save 100 MB of cache.
  rm -rf "$extract_dir" "$kernel_dir"
  mv "$kernel_dir.tmp" "$kernel_dir"
fi
kernel_release=$(cat "$kernel_dir/release")

# Everything the scenarios rely on must be built into the kernel: the initramfs carries no
# modules. (Checked for 6.1.0-*-cloud-amd64: all =y.) If a future package turns one into a
# module, fail here with the name rather than with an obscure error inside the guest.
required_config=(
  CONFIG_BPF_SYSCALL CONFIG_BPF_JIT CONFIG_BPF_EVENTS CONFIG_DEBUG_INFO_BTF
  CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS CONFIG_FUNCTION_TRACER CONFIG_KPROBES CONFIG_KPROBE_EVENTS
  CONFIG_UPROBES CONFIG_UPROBE_EVENTS CONFIG_PERF_EVENTS CONFIG_TRACING CONFIG_CGROUPS CONFIG_MEMCG
  CONFIG_CGROUP_BPF CONFIG_DEVTMPFS CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_SERIAL_8250_CONSOLE
  CONFIG_MAGIC_SYSRQ
)
for option in "${required_config[@]}"; do
  value=$(grep -E "^$option=" "$kernel_dir/config" | cut -d= -f2 || true)
  [[ $value == y ]] || die "$package: $option=${value:-unset}, the VM suite needs it built in (=y)"
done

# ---- 4. the initramfs ----------------------------------------------------------------------
staging=$(mktemp -d "$out_dir/root.XXXXXX")
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,results,scenarios}
mkdir -p "$staging"/opt/bpfscope/{bin,vm-helpers}
cp "$busybox_bin" "$staging/bin/busybox"
for applet in $("$busybox_bin" --list); do
  [[ -e $staging/bin/$applet ]] || ln -s busybox "$staging/bin/$applet"
done

# build/bin: bpfscope, its tool symlinks, the workloads. Not the gtest binaries (unit_tests,
# integration_tests: 50 MB, and the integration tests assert on the host kernel's facts).
find "$bin_dir" -mindepth 1 -maxdepth 1 ! -name '*_tests' -exec cp -a {} "$staging/opt/bpfscope/bin/" \;
if [[ -d $extra_bin_dir ]]; then
  cp -a "$extra_bin_dir/." "$staging/opt/bpfscope/vm-helpers/"
fi
# bpftool lets scenarios check that nothing stays attached.
bpftool_bin=""
for candidate in /usr/sbin/bpftool /usr/local/sbin/bpftool; do
  if [[ -x $candidate ]] && is_elf "$candidate"; then
    bpftool_bin=$candidate
    break
  fi
done
[[ -n $bpftool_bin ]] || die "no bpftool ELF binary (install bpftool: scripts/install-deps.sh)"
cp "$bpftool_bin" "$staging/usr/sbin/bpftool"

# Shared libraries of every dynamic ELF, at the path ldd resolved (plus the loader).
copy_library() {
  local library=$1
  [[ -e $staging$library ]] && return 0
  mkdir -p "$staging$(dirname "$library")"
  cp -L "$library" "$staging$library"
}
while IFS= read -r -d '' executable; do
  is_elf "$executable" || continue
  # ldd fails on static executables: nothing to copy for them.
  ldd_output=$(ldd "$executable" 2> /dev/null) || continue
  while read -r library; do
    [[ -n $library ]] && copy_library "$library"
  done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<< "$ldd_output")
  if grep -q 'not found' <<< "$ldd_output"; then
    die "ldd $executable: $(grep 'not found' <<< "$ldd_output" | head -n1)"
  fi
done < <(find "$staging/opt/bpfscope" "$staging/usr/sbin" -type f -perm -u+x -print0)

cp "$here"/scenarios/*.sh "$staging/scenarios/"
install -m 0755 "$here/guest-init.sh" "$staging/init"
cp "$here/guest-lib.sh" "$staging/guest-lib.sh"
cat > "$staging/guest.env" << EOF
package=$package
package_version=$package_version
kernel_release=$kernel_release
EOF

# Reproducible member order; gzip -1 because the guest decompresses it under TCG emulation.
(cd "$staging" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --null --create --format=newc --owner=0:0 --quiet | gzip -1) > "$out_dir/initrd.gz.tmp"
mv "$out_dir/initrd.gz.tmp" "$out_dir/initrd.gz"
cp "$kernel_dir/vmlinuz" "$out_dir/vmlinuz"
cat > "$out_dir/guest.env" << EOF
package=$package
package_version=$package_version
package_sha256=$actual_sha256
kernel_release=$kernel_release
EOF
echo "prepare-guest: kernel $kernel_release ($package $package_version, sha256 ok)," \
  "initramfs $(du -h "$out_dir/initrd.gz" | cut -f1) in $out_dir" >&2
