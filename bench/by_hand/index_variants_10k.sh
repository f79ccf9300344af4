#!/bin/bash
# By hand, like index_variants_100k.sh, for 10,003 adds (/opt/bench/ldif-10000/tail.ldif, full mode)
# into the empty tree:  docker exec bench-ldap bash /root/index_variants_10k.sh "mail cn description"
set -e
SUB="$1"
B=dc=quangbinh,dc=gov,dc=vn
cd /opt/bench
bash reset.sh >/dev/null
{
echo "dn: olcDatabase={1}mdb,cn=config"; echo "changetype: modify"; echo "replace: olcDbIndex"
for a in objectClass uid mail congvuAlias congvuAddressHistory congvuState departmentNumber congvuHead congvuDelegate congvuDelegateOf cn description displayName sn givenName member pwdLastSuccess entryUUID entryCSN; do
  if [[ " $SUB " == *" $a "* ]]; then echo "olcDbIndex: $a eq,sub"; else echo "olcDbIndex: $a eq"; fi
done
} | ldapmodify -Q -Y EXTERNAL -H ldapi:/// >/dev/null
sleep 2
pid=$(cat /run/slapd/slapd.pid)
c0=$(awk '{print $14+$15}' /proc/$pid/stat)
s=$(date +%s%N)
ldapadd -x -H ldapi:/// -D cn=reconcile,ou=system,$B -y /etc/ldap/congvu/reconcile.secret -f ldif-10000/tail.ldif > /dev/null
e=$(date +%s%N)
c1=$(awk '{print $14+$15}' /proc/$pid/stat)
echo "sub on [$SUB]: 10,003 adds into the empty tree: wall $(( (e - s)/1000000 )) ms, slapd cpu $(( (c1 - c0) * 10 )) ms; load $(cut -d' ' -f1 /proc/loadavg)"
