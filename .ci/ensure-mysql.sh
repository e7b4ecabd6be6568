#!/usr/bin/env bash
# Makes sure a MariaDB (or MySQL) server answers at the given URL's host (127.0.0.1:3306), that
# root connects over TCP without a password, and that the URL's database exists. Installs MariaDB
# with apt when no server is installed, and starts it when it is down.
# Usage: .ci/ensure-mysql.sh mysql://root@127.0.0.1:3306/test
set -euo pipefail
url="$1"
db="${url##*/}"
client=(mysql --protocol=TCP -h127.0.0.1 -P3306 -uroot)
ping() { mysqladmin --protocol=TCP -h127.0.0.1 -P3306 -uroot ping >/dev/null 2>&1; }

if [ ! -x /usr/sbin/mariadbd ] && [ ! -x /usr/sbin/mysqld ]; then
  echo "MariaDB is not installed: installing it"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq mariadb-server >/dev/null
fi

if ! ping; then
  server=/usr/sbin/mariadbd
  [ -x "$server" ] || server=/usr/sbin/mysqld
  echo "MariaDB is down: starting ${server}"
  # The socket and pid directory live on a tmpfs that may be empty after a reboot.
  install -d -o mysql -g mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec "$server"
fi
for _ in $(seq 1 30); do ping && break; sleep 1; done
mysqladmin --protocol=TCP -h127.0.0.1 -P3306 -uroot ping

# A fresh Debian install lets root in through the socket only (unix_socket auth); the tests
# connect over TCP without a password.
if ! "${client[@]}" -e 'SELECT 1' >/dev/null 2>&1; then
  echo "letting root connect over TCP without a password"
  mysql -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES;"
fi

"${client[@]}" -e "CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4"
"${client[@]}" -Nse 'SELECT VERSION()'
