# Sourced by scripts and CI: puts the project's Node (.spillway/node, installed by
# scripts/setup.sh when the machine's is too old) first on PATH. Node >= 22.22 is required
# (@platformatic/kafka's floor, and native TypeScript type stripping); 24 LTS is what we run.
# In an interactive shell, `source scripts/node-env.sh` gives the same node the npm scripts use.
# Keep SPW_NODE_MIN in step with package.json "engines" and bin/spillway.js (a unit test checks).
SPW_NODE_MIN=22.22.0
SPW_NODE_VERSION=${SPW_NODE_VERSION:-24.21.0}
_spw_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -x "$_spw_root/.spillway/node/bin/node" ]; then
  case ":$PATH:" in *":$_spw_root/.spillway/node/bin:"*) ;; *) PATH="$_spw_root/.spillway/node/bin:$PATH" ;; esac
  export PATH
fi

# The node first on PATH is >= SPW_NODE_MIN.
spw_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const [a, b] = process.versions.node.split(".").map(Number);
    const [x, y] = process.argv[1].split(".").map(Number);
    process.exit(a > x || (a === x && b >= y) ? 0 : 1);
  ' "$SPW_NODE_MIN" 2>/dev/null
}

# npm dependencies are installed and not older than package-lock.json (npm ci writes
# node_modules/.package-lock.json; a pull that changes the lock file makes them stale).
spw_deps_ok() {
  [ -f "$_spw_root/node_modules/.package-lock.json" ] &&
    ! [ "$_spw_root/package-lock.json" -nt "$_spw_root/node_modules/.package-lock.json" ]
}

# The stack's jars are there (what `spillway stack fetch` makes; stack/lib/tools.ts jarsPresent).
spw_jars_ok() {
  [ -n "$(ls -A "$_spw_root/stack/kafka/target/lib" 2>/dev/null)" ] &&
    [ -n "$(ls -A "$_spw_root/stack/opensearch/target/lib" 2>/dev/null)" ] &&
    compgen -G "$_spw_root/stack/opensearch/target/spillway-stack-opensearch-*.jar" >/dev/null
}
