#!/bin/bash
# By hand, in the benchmark container after a 10k run: the reconcile's 10k create with and without
# the password file's fsync (os.fsync stubbed out), then ldapadd of the same LDIF, in one window.
#   docker exec bench-ldap bash /root/fsync_probe.sh
cd /opt/bench
B=dc=quangbinh,dc=gov,dc=vn
run() {
  bash reset.sh >/dev/null; rm -rf /var/lib/congvu/initial-passwords /var/log/congvu/roster-audit.jsonl
  python3 -c "
import os, sys, runpy, json
if '$1' == 'nofsync': os.fsync = lambda fd: None
sys.argv = ['reconcile_child.py', '--lib', 'lib', 'reconcile', '--roster', 'roster-10000', '--date', '2025-01-15', '--bind-dn', 'cn=reconcile,ou=system,$B', '--apply']
runpy.run_path('reconcile_child.py', run_name='__main__')
" | sed -n 's/^RESULT //p' | python3 -c "
import json,sys; c=json.load(sys.stdin); n=c['applied']
print('$1', 'total %.1f s' % c['total_s'], 'add %.2f ms' % (c['ldap_add_s']/n*1000), 'store %.2f ms' % (c['secrets_s']/n*1000), 'cpu %.2f / slapd %.2f ms' % (c['apply_cpu_s']/n*1000, c['apply_slapd_cpu_s']/n*1000), 'load', c['loadavg'])"
}
run fsync
run nofsync
bash reset.sh >/dev/null
s=$(date +%s%N); ldapadd -x -H ldapi:/// -D cn=reconcile,ou=system,$B -y /etc/ldap/congvu/reconcile.secret -f ldif-10000/tail.ldif >/dev/null; e=$(date +%s%N)
echo "ldapadd $(( (e-s)/1000000 )) ms load $(cut -d' ' -f1 /proc/loadavg)"
