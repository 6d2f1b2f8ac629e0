# Production image: web and worker roles run from the same image; PostgreSQL is external (DATABASE_URL).
FROM node:24.21.0-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# The install hook builds the web app; the sources come below, so here it finds none and skips.
COPY scripts ./scripts
RUN npm ci --omit=dev --no-audit --no-fund
COPY server ./server
COPY jobs ./jobs
COPY sql ./sql
COPY web ./web
COPY fixtures ./fixtures
RUN node scripts/build-web.mjs && rm -rf node_modules/.vite
USER node
# Listening beyond loopback: no demo users (published password) and Secure cookies, whatever the database.
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
CMD ["node", "server/main.ts"]
