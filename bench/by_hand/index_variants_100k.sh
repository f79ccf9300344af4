#!/bin/bash
# By hand, in the benchmark container after a bench_reconcile.py run with 100k (tail mode), which
# leaves /opt/bench/ldif-100000/{base,tail}.ldif and tail.dns (docs/benchmarks.md, "Substring indexes"):
#   docker cp bench/by_hand/index_variants_100k.sh bench-ldap:/root/
#   docker exec bench-ldap bash /root/index_variants_100k.sh "mail cn description"   # `sub` on these
# Sets olcDbIndex (eq everywhere, eq,sub on the named attributes), rebuilds the directory from
# base.ldif with slapadd, then adds the 997-entry tail twice with ldapadd as cn=reconcile (deleted in
# between): wall time and slapd's CPU time. Leaves the index list changed: converge the role again.
set -e
SUB="$1"
B=dc=quangbinh,dc=gov,dc=vn
{
echo "dn: olcDatabase={1}mdb,cn=config"; echo "changetype: modify"; echo "replace: olcDbIndex"
for a in objectClass uid mail congvuAlias congvuAddressHistory congvuState departmentNumber congvuHead congvuDelegate congvuDelegateOf cn displayName sn givenName member pwdLastSuccess entryUUID entryCSN; do
  if [[ " $SUB " == *" $a "* ]]; then echo "olcDbIndex: $a eq,sub"; else echo "olcDbIndex: $a eq"; fi
done
} | ldapmodify -Q -Y EXTERNAL -H ldapi:/// >/dev/null
sleep 1
cd /opt/bench
bash reset.sh ldif-100000/base.ldif >/dev/null
sleep 2
for round in 1 2; do
pid=$(cat /run/slapd/slapd.pid)
c0=$(awk '{print $14+$15}' /proc/$pid/stat)
s=$(date +%s%N)
ldapadd -x -H ldapi:/// -D cn=reconcile,ou=system,$B -y /etc/ldap/congvu/reconcile.secret -f ldif-100000/tail.ldif > /dev/null
e=$(date +%s%N)
c1=$(awk '{print $14+$15}' /proc/$pid/stat)
echo "sub on [$SUB] r$round: 997 adds into 99,005: wall $(( (e - s)/1000000 )) ms, slapd cpu $(( (c1 - c0) * 10 )) ms; load $(cut -d' ' -f1 /proc/loadavg)"
ldapdelete -Q -Y EXTERNAL -H ldapi:/// -c -f ldif-100000/tail.dns >/dev/null 2>&1 || true
done
