#!/bin/bash
# By hand, in the benchmark container after a run with 100k entries loaded: the address book's search
# (the webmail's filter, as cn=roundcube), three times each: hits, wall time, slapd's CPU time.
#   docker exec bench-ldap bash /root/address_book_search.sh
B=dc=quangbinh,dc=gov,dc=vn
RC="-x -H ldapi:/// -D cn=roundcube,ou=system,$B -y /etc/ldap/congvu/roundcube.secret"
ldapsearch -Q -LLL -Y EXTERNAL -H ldapi:/// -b cn=config "(olcSuffix=$B)" olcDbIndex | grep sub
for q in "(&(congvuState=active)(|(objectClass=congvuMailbox)(objectClass=congvuAgencyMailbox))(|(mail=*tuyet*)(cn=*tuyết*)(displayName=*tuyết*)(description=*tuyết*)))" \
         "(&(congvuState=active)(|(objectClass=congvuMailbox)(objectClass=congvuAgencyMailbox))(|(mail=*tuyet*)(cn=*tuyết*)(displayName=*tuyết*)))" \
         "(&(congvuState=active)(|(mail=*tuyet*)(cn=*tuyết*)))"; do
  for i in 1 2 3; do
    pid=$(cat /run/slapd/slapd.pid); c0=$(awk '{print $14+$15}' /proc/$pid/stat); s=$(date +%s%N)
    n=$(ldapsearch $RC -LLL -z 500 -b $B "$q" cn mail 2>/dev/null | grep -c '^dn:')
    e=$(date +%s%N); c1=$(awk '{print $14+$15}' /proc/$pid/stat)
    echo "$n hits, wall $(( (e-s)/1000000 )) ms, slapd cpu $(( (c1-c0)*10 )) ms: ${q:0:90}"
  done
done
