import { internalMutation } from "./_generated/server";
import { internal } from "./_generated/api";
// The game loop: moves every NPC toward its target, then reschedules itself.
export const tick = internalMutation({
  args: {},
  handler: async (ctx) => {
    const npcs = await ctx.db.query("npcs").collect();
    for (const npc of npcs) {
      if (npc.frozen) {
        if (npc.targetX != null) {
          await ctx.db.patch(npc._id, { targetX: undefined });
        }
        continue;
      }
      let targetX = npc.targetX;
      if (targetX == null) {
        targetX = npc.x + 10;
      }
      await ctx.db.patch(npc._id, { x: npc.x + 1, targetX });
    }
    await ctx.scheduler.runAfter(100, internal.npc.tick, {});
  },
});
export const spawn = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("npcs", { x: 0, frozen: false });
  },
});
