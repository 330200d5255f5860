#!/usr/bin/env bash
# A throwaway WordPress for the sync tests: Debian's wordpress + MariaDB in a temp datadir + `php -S`.
# No systemd, nothing written under /etc. Adapted from the project's wp-ci.sh.
#   .ci/wordpress.sh install                       Debian packages (wordpress php-cli php-xml mariadb-server), ~100 s
#   WP_TMP=/tmp/wpci N=500 PORT=8080 .ci/wordpress.sh up|down
# "up" again on the same WP_TMP restarts with the data kept; "up" never installs packages.
# Writes $WP_TMP/app-pass (user:application-password for basic auth) and $WP_TMP/ids.json (ids of the
# special posts: edited, trashed, deleted, draft, private, future, pending, password-protected).
# Posts are generated; to change the site, call WordPress functions from `php` with $WP_TMP/wp/wp-load.php.
# Facts the tests rely on: the site's timezone is Europe/Berlin (so `date` differs from `date_gmt`);
# posts are dated from 2023-01-01 08:00 UTC at 6-hour steps and their `modified` equals their date.
set -euo pipefail
N=${N:-500}; PORT=${PORT:-8080}; URL=http://127.0.0.1:$PORT; W=${WP_TMP:-/tmp/wpci}; SOCK=$W/my.sock; ME=$(id -un); export W N URL
step(){ local t=$(date +%s%N); "$@"; echo "TIME $1 $(( ($(date +%s%N) - t) / 1000000 )) ms"; }

pkgs(){ dpkg -s wordpress php-cli php-xml mariadb-server &>/dev/null || { apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    wordpress php-cli php-xml mariadb-server >/dev/null; }; }

db_start(){ mkdir -p "$W"; [ -d "$W/db/mysql" ] || mariadb-install-db --no-defaults --datadir="$W/db" --user="$ME" \
    --auth-root-authentication-method=normal --skip-test-db >"$W/db-init.log" 2>&1
  setsid mariadbd --no-defaults --datadir="$W/db" --socket="$SOCK" --user="$ME" --skip-networking --log-error="$W/db.err" \
    --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 </dev/null & echo $! >"$W/db.pid"
  for _ in $(seq 300); do mariadb-admin --no-defaults -uroot --socket="$SOCK" ping &>/dev/null && return; sleep .1; done; return 1; }

db_create(){ mariadb --no-defaults -uroot --socket="$SOCK" -e "CREATE DATABASE wp CHARSET utf8mb4;
  CREATE USER wp@localhost IDENTIFIED BY 'wp'; GRANT ALL ON wp.* TO wp@localhost"; }

wp_files(){ cp -a /usr/share/wordpress "$W/wp"; rm -f "$W/wp/.htaccess"; mkdir -p "$W/wp/wp-content/mu-plugins"
  cat >"$W/wp/wp-config.php" <<PHP
<?php
define('DB_NAME','wp'); define('DB_USER','wp'); define('DB_PASSWORD','wp'); define('DB_HOST','localhost:$SOCK');
define('DB_CHARSET','utf8mb4'); define('DB_COLLATE',''); \$table_prefix = 'wp_';
define('WP_HOME','$URL'); define('WP_SITEURL','$URL'); define('WP_CONTENT_DIR', __DIR__.'/wp-content');
define('WP_ENVIRONMENT_TYPE','local');  // application passwords over plain http
define('DISABLE_WP_CRON', true); define('AUTOMATIC_UPDATER_DISABLED', true); define('WP_HTTP_BLOCK_EXTERNAL', true);
if (!defined('ABSPATH')) define('ABSPATH', __DIR__.'/');
require_once ABSPATH.'wp-settings.php';
PHP
  cat >"$W/wp/wp-content/mu-plugins/offline.php" <<'PHP'
<?php // no outbound HTTP at all (not even DNS); fake oEmbed so bare YouTube/Vimeo URLs render as iframes
add_filter('pre_http_request', fn($pre, $a, $url) => parse_url($url, PHP_URL_HOST) === '127.0.0.1' ? $pre : new WP_Error('offline', $url), 1, 3);
add_filter('pre_oembed_result', fn($html, $url) => preg_match('#youtube\.com|vimeo\.com#', $url)
  ? '<iframe src="'.esc_url($url).'" width="640" height="360"></iframe>' : $html, 10, 2);
PHP
  mkdir -p "$W/wp/wp-content/themes/ci"; echo '/* Theme Name: CI */' >"$W/wp/wp-content/themes/ci/style.css"
  cat >"$W/wp/wp-content/themes/ci/index.php" <<'PHP'
<?php // the smallest theme that renders article pages (Debian's wordpress package ships none): chrome around each post
?><!doctype html><html <?php language_attributes(); ?>><head><meta charset="utf-8"><title><?php wp_title(); ?></title><?php wp_head(); ?></head>
<body><nav><a href="<?php echo home_url('/'); ?>">CI Blog</a> | <a href="<?php echo home_url('/about/'); ?>">About</a></nav><main>
<?php while (have_posts()) { the_post(); ?><article><h1><?php the_title(); ?></h1>
<p class="byline">By <?php the_author(); ?>, <time datetime="<?php echo get_the_date('c'); ?>"><?php echo get_the_date(); ?></time></p>
<div class="entry-content"><?php the_content(); ?></div></article><?php } ?>
</main><footer>Copyright CI Blog</footer><?php wp_footer(); ?></body></html>
PHP
  cat >"$W/router.php" <<'PHP'
<?php // php -S router: real files/dirs as-is, the rest via index.php (pretty permalinks, *.xml sitemaps)
$f = $_SERVER['DOCUMENT_ROOT'].urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
if ($f !== $_SERVER['DOCUMENT_ROOT'].'/' && (is_file($f) || is_dir($f))) return false;
$_SERVER['SCRIPT_NAME'] = '/index.php'; require $_SERVER['DOCUMENT_ROOT'].'/index.php';
PHP
}

wp_install(){ php -r '
  define("WP_INSTALLING", true); require getenv("W")."/wp/wp-load.php";
  function wp_new_blog_notification() {}  // no mail
  require_once ABSPATH."wp-admin/includes/upgrade.php";
  wp_install("CI Blog", "admin", "admin@example.com", true, "", "admin-pass");
  update_option("timezone_string", "Europe/Berlin"); wp_delete_post(1, true);  // drop "Hello world!"
  switch_theme("ci");
  update_option("permalink_structure", "/%year%/%monthnum%/%postname%/"); delete_option("rewrite_rules");
  $ap = WP_Application_Passwords::create_new_application_password(1, ["name" => "ci"]);
  file_put_contents(getenv("W")."/app-pass", "admin:".$ap[0]);'; }

wp_posts(){ php -r '
  require getenv("W")."/wp/wp-load.php"; $n = (int)getenv("N"); $u = getenv("URL");
  flush_rewrite_rules(false); wp_defer_term_counting(true);  // flush here: new process has the pretty-permalink taxonomies
  $au = [1]; foreach (["alice", "bob"] as $a) $au[] = wp_insert_user(["user_login"=>$a, "user_pass"=>"x", "display_name"=>ucfirst($a)." Author", "role"=>"author"]);
  foreach (["News", "Tech", "Life & Style", "Science"] as $c) $cats[] = wp_insert_term($c, "category")["term_id"];
  $up = wp_upload_dir(); imagejpeg(imagecreatetruecolor(64, 64), $up["path"]."/f.jpg");
  $att = wp_insert_attachment(["post_mime_type"=>"image/jpeg", "post_title"=>"Featured"], $up["path"]."/f.jpg");
  for ($i = 1; $i <= $n; $i++) {
    $d = gmdate("Y-m-d H:i:s", strtotime("2023-01-01 08:00 UTC") + $i * 6 * 3600);
    $ids[] = wp_insert_post(["post_status"=>"publish", "post_author"=>$au[$i % 3], "post_title"=>"Post $i: \"quotes\" & ümlauts",
      "post_date_gmt"=>$d, "post_date"=>get_date_from_gmt($d), "post_excerpt"=>$i % 2 ? "Excerpt $i" : "",
      "post_category"=>[$cats[$i % 4]], "tags_input"=>["tag".($i % 10), "all"], "meta_input"=>$i % 5 ? [] : ["_thumbnail_id"=>$att],
      "post_content"=>"<!-- wp:paragraph --><p>Intro <strong>$i</strong>.</p><!-- /wp:paragraph -->\n\n[caption id=\"attachment_$i\" width=\"300\"]"
        ."<img src=\"$u/img$i.jpg\" width=\"300\" height=\"200\" /> Caption {$i}[/caption]\n\n<!--more-->\n\n"
        ."https://www.youtube.com/watch?v=dQw4w9WgXcQ\n\n[embed]https://vimeo.com/76979871[/embed]"], true);
  }
  wp_defer_term_counting(false);
  $x = [];
  if (count($ids ?? []) >= 4) {  // with N >= 4: one post edited, one trashed, one deleted
    $x = ["first"=>$ids[0], "last"=>end($ids), "updated"=>$ids[3], "trashed"=>$ids[1], "deleted"=>$ids[2]];
    wp_update_post(["ID"=>$ids[3], "post_title"=>"Post 4 (edited)"]); wp_trash_post($ids[1]); wp_delete_post($ids[2], true);
  }
  foreach (["draft", "private", "future", "pending"] as $s) $x[$s] = wp_insert_post(["post_status"=>$s, "post_author"=>1, "post_title"=>"A $s post",
    "post_content"=>"x", "post_date"=>$s == "future" ? "2099-01-01 00:00:00" : current_time("mysql")]);
  $x["protected"] = wp_insert_post(["post_status"=>"publish", "post_author"=>1, "post_title"=>"Secret", "post_content"=>"x", "post_password"=>"pw"]);
  file_put_contents(getenv("W")."/ids.json", json_encode($x));'; }

web_start(){ if curl -s -o /dev/null "$URL/"; then echo "port $PORT is already in use" >&2; return 1; fi
  setsid bash -c 'echo $$ >"$W/web.pid"; cd "$W/wp"; PHP_CLI_SERVER_WORKERS=4 exec php -d opcache.enable_cli=1 \
    -S "127.0.0.1:'"$PORT"'" -t "$W/wp" "$W/router.php"' >>"$W/web.log" 2>&1 </dev/null &
  for _ in $(seq 100); do curl -fs -o /dev/null "$URL/wp-json/" && return; sleep .1; done; return 1; }

down(){ for f in web db; do [ -f "$W/$f.pid" ] || continue; p=$(cat "$W/$f.pid"); kill -- "-$p" 2>/dev/null || true  # whole process group
  while kill -0 "$p" 2>/dev/null; do sleep .1; done; rm -f "$W/$f.pid"; done; }

have(){ dpkg -s wordpress php-cli php-xml mariadb-server &>/dev/null || {
  echo "missing Debian packages; run: $0 install" >&2; return 1; }; }

case ${1:-up} in
  install) step pkgs;;
  up) have; step db_start
      [ -f "$W/ids.json" ] || { step db_create; step wp_files; step wp_install; step wp_posts; }
      step web_start; echo "UP $URL posts=$(curl -sI "$URL/wp-json/wp/v2/posts" | tr -d '\r' | sed -n 's/^X-WP-Total: //ip')";;
  down) step down;;
esac
