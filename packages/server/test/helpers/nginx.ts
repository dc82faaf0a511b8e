import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `dir/nginx.conf` for a test nginx running as root in the foreground: every path (pid, logs, temp files)
 * inside `dir`, no access log, and `http` holding the given server blocks.
 */
export function writeNginxConfig(dir: string, servers: string): string {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const file = join(dir, 'nginx.conf');
  writeFileSync(
    file,
    `user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${servers}
}
`,
  );
  return file;
}
