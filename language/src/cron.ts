/** Schedule presets offered in `schedule: "…"` (croner, the runner's scheduler, accepts them all). */
export const CRON_PRESETS: readonly { value: string; description: string }[] = [
  { value: "@hourly", description: "every hour, at minute 0" },
  { value: "@daily", description: "every day at 00:00" },
  { value: "@weekly", description: "every Sunday at 00:00" },
  { value: "@monthly", description: "the first day of every month at 00:00" },
  { value: "@yearly", description: "every 1 January at 00:00" },
  { value: "*/15 * * * *", description: "every 15 minutes" },
  { value: "0 2 * * *", description: "every night at 02:00" },
  { value: "0 6 * * 1-5", description: "weekdays at 06:00" },
  { value: "30 0 1 * *", description: "the first of each month at 00:30" },
];
