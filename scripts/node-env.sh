# Sourced by scripts and CI: puts the project's Node (.spillway/node, installed by
# scripts/setup.sh when the machine's is too old) first on PATH. Node >= 22.22 is required
# (@platformatic/kafka's floor, and native TypeScript type stripping); 24 LTS is what we run.
SPW_NODE_MIN=22.22.0
SPW_NODE_VERSION=${SPW_NODE_VERSION:-24.21.0}
_spw_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -x "$_spw_root/.spillway/node/bin/node" ]; then
  case ":$PATH:" in *":$_spw_root/.spillway/node/bin:"*) ;; *) PATH="$_spw_root/.spillway/node/bin:$PATH" ;; esac
  export PATH
fi
spw_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const [a, b] = process.versions.node.split(".").map(Number);
    const [x, y] = process.argv[1].split(".").map(Number);
    process.exit(a > x || (a === x && b >= y) ? 0 : 1);
  ' "$SPW_NODE_MIN"
}
