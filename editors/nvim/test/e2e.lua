-- End-to-end test of editors/nvim in a real headless Neovim 0.11 with the real server binary.
-- Run by test/run.sh:  nvim --clean --headless -l test/e2e.lua ROOT SERVER NVIM_DIR FAKE_NPX NPX_LOG LAUNCHER_LOG PLAIN
-- ROOT is a fixture project (editors/fixtures/make-project.sh): a git repository whose last commit
-- has `users.role` optional and whose working tree makes it required. FAKE_NPX stands in for `npx`
-- (no deployment here): it logs its arguments and working folder to NPX_LOG and prints what a verify
-- function prints. ROOT has node_modules/.bin/convex-migrate, a launcher of SERVER that logs to
-- LAUNCHER_LOG; PLAIN is a JavaScript project that is not a Convex project. Prints one `ok - …` / `not ok - …` line per step; exits 1 on the first failure.

local root, server, nvim_dir, fake_npx, npx_log, launcher_log, plain = arg[1], arg[2], arg[3], arg[4], arg[5], arg[6], arg[7]
assert(root and server and nvim_dir and fake_npx and npx_log and launcher_log and plain, 'usage: e2e.lua ROOT SERVER NVIM_DIR FAKE_NPX NPX_LOG LAUNCHER_LOG PLAIN')
local TIMEOUT = 30000
local schema = root .. '/convex/schema.ts'
local passed = 0

local notifications = {}
-- Kept, not printed: they are shown when a step fails.
vim.notify = function(message, level)
  table.insert(notifications, { message = message, level = level })
end

local function out(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

local function step(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    out('ok - ' .. name)
  else
    out('not ok - ' .. name)
    out('  ' .. tostring(err):gsub('\n', '\n  '))
    local log = vim.lsp.get_log_path()
    out('  (notifications: ' .. vim.inspect(notifications) .. '; LSP log: ' .. log .. ')')
    out(('%d passed, 1 failed'):format(passed))
    for _, c in ipairs(vim.lsp.get_clients()) do
      c:stop(true)
    end
    vim.wait(2000, function()
      return #vim.lsp.get_clients() == 0
    end)
    os.exit(1)
  end
end

local function wait_for(what, predicate)
  local ok = vim.wait(TIMEOUT, predicate, 50)
  assert(ok, 'timed out waiting for ' .. what)
end

local function buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') .. '\n'
end

local function rule_diagnostics(bufnr, rule)
  return vim.tbl_filter(function(d)
    return d.code == rule
  end, vim.diagnostic.get(bufnr))
end

local function git_show(path)
  local result = vim.system({ 'git', 'show', 'HEAD:' .. path }, { cwd = root, text = true }):wait()
  assert(result.code == 0, result.stderr)
  return result.stdout
end

local function lines_of(path)
  local file = io.open(path, 'r')
  if not file then
    return {}
  end
  local lines = {}
  for line in file:lines() do
    table.insert(lines, line)
  end
  file:close()
  return lines
end

local function npx_calls()
  return lines_of(npx_log)
end

local client, bufnr

step('Neovim 0.11 loads editors/nvim/lsp/convex_migrate.lua from the runtimepath', function()
  assert(vim.fn.has('nvim-0.11') == 1, 'needs Neovim 0.11, this is ' .. tostring(vim.version()))
  vim.opt.runtimepath:prepend(nvim_dir)
  vim.cmd('filetype on')
  -- What a user writes: the shipped config, with their settings on top (no `cmd`: the project's
  -- own node_modules/.bin/convex-migrate is found).
  vim.lsp.config('convex_migrate', {
    settings = { convexMigrate = { npxPath = fake_npx } },
  })
  local config = vim.lsp.config.convex_migrate
  assert(type(config.cmd) == 'function', 'cmd looks the binary up: ' .. vim.inspect(config.cmd))
  assert(type(config.root_dir) == 'function' and config.workspace_required == true, 'only in Convex projects')
  assert(vim.list_contains(config.filetypes, 'typescript') and vim.list_contains(config.filetypes, 'javascriptreact'))
  assert(type(config.on_attach) == 'function', 'the shipped on_attach is kept')
  vim.lsp.enable('convex_migrate')
end)

step('opening convex/schema.ts starts the server in the project root, with buffer-local commands', function()
  vim.cmd.edit(vim.fn.fnameescape(schema))
  bufnr = vim.api.nvim_get_current_buf()
  assert(vim.bo[bufnr].filetype == 'typescript', 'filetype: ' .. vim.bo[bufnr].filetype)
  wait_for('the client to attach', function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = 'convex_migrate' })[1]
    return client ~= nil and client.initialized
  end)
  assert(client.root_dir == root, 'root_dir ' .. tostring(client.root_dir) .. ' ~= ' .. root)
  local started = lines_of(launcher_log)
  assert(#started == 1 and started[1] == root .. ' | lsp', 'the project\'s node_modules/.bin/convex-migrate started it: ' .. vim.inspect(started))
  assert(client.offset_encoding == 'utf-8', 'Neovim offers utf-8 first: ' .. client.offset_encoding)
  assert(client.server_info and client.server_info.name == 'convex-migrate')
  wait_for('on_attach', function()
    local commands = vim.api.nvim_buf_get_commands(bufnr, {})
    return commands.LspConvexMigrateRun ~= nil and commands.LspConvexMigrateVerify ~= nil
  end)
end)

step('the diagnostic required-without-backfill appears on `role`', function()
  wait_for('required-without-backfill', function()
    return #rule_diagnostics(bufnr, 'required-without-backfill') > 0
  end)
  local d = rule_diagnostics(bufnr, 'required-without-backfill')[1]
  assert(d.lnum == 6 and d.col == 4 and d.end_col == 8, ('at %d:%d-%d'):format(d.lnum, d.col, d.end_col))
  assert(d.severity == vim.diagnostic.severity.ERROR)
  assert(d.source == 'convex-migrate', tostring(d.source))
  assert(d.message:find('`users.role` becomes required', 1, true), d.message)
end)

step('hover on `role` shows the migration state (vim.lsp.buf.hover float)', function()
  vim.api.nvim_win_set_cursor(0, { 7, 5 })
  vim.lsp.buf.hover()
  local float
  wait_for('the hover window', function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= '' then
        float = win
        return true
      end
    end
    return false
  end)
  local text = buffer_text(vim.api.nvim_win_get_buf(float))
  vim.api.nvim_win_close(float, true)
  for _, expected in ipairs({
    '**`users.role`** — narrowing too early: no backfill is deployed',
    '- ✓ widen',
    '- ☐ backfill written',
  }) do
    assert(text:find(expected, 1, true), ('hover lacks %q:\n%s'):format(expected, text))
  end
end)

step('the code action “Make `role` optional first” fixes the buffer and the diagnostic clears', function()
  vim.api.nvim_win_set_cursor(0, { 7, 4 })
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      return action.title:find('optional first', 1, true) ~= nil
    end,
  })
  wait_for('the edit', function()
    return vim.api.nvim_buf_get_lines(bufnr, 6, 7, false)[1] == '    role: v.optional(v.string()),'
  end)
  assert(buffer_text(bufnr) == git_show('convex/schema.ts'), 'the buffer is back to what is deployed:\n' .. buffer_text(bufnr))
  wait_for('the diagnostic to clear', function()
    return #rule_diagnostics(bufnr, 'required-without-backfill') == 0
  end)
end)

step(':undo brings `role: v.string()` and the diagnostic back (incremental sync)', function()
  vim.cmd('silent undo')
  assert(vim.api.nvim_buf_get_lines(bufnr, 6, 7, false)[1] == '    role: v.string(),')
  wait_for('required-without-backfill again', function()
    return #rule_diagnostics(bufnr, 'required-without-backfill') > 0
  end)
end)

step(':LspConvexMigrateRun with nothing under the cursor says how to use it', function()
  local before = #notifications
  vim.cmd('LspConvexMigrateRun')
  wait_for('a message', function()
    for i = before + 1, #notifications do
      if notifications[i].message:find('no backfill here', 1, true) then
        return true
      end
    end
    return false
  end)
  assert(#npx_calls() == 0, 'nothing ran')
end)

step(':LspConvexMigrateVerify FUNCTION FIELD runs `npx convex run` in the root and records the ledger', function()
  vim.cmd('LspConvexMigrateVerify migrations:verifyUsersRole users.role')
  wait_for('npx to run', function()
    return #npx_calls() > 0
  end)
  local call = npx_calls()[1]
  assert(call == root .. ' | convex run migrations:verifyUsersRole', call)
  -- The server records the verification through workspace/applyEdit: Neovim opens the file.
  local ledger = root .. '/convex-migrate.json'
  wait_for('the ledger edit', function()
    local b = vim.fn.bufnr(ledger)
    return b ~= -1 and buffer_text(b):find('"users.role"', 1, true) ~= nil
  end)
  local recorded = vim.json.decode(buffer_text(vim.fn.bufnr(ledger)))
  local entry = recorded.verified['users.role']
  assert(entry.remaining == 0 and entry.deployment == 'dev', vim.inspect(recorded))
end)

step('the generated backfill gets a code lens, and :LspConvexMigrateRun on it runs it', function()
  vim.api.nvim_set_current_buf(bufnr)
  vim.api.nvim_win_set_cursor(0, { 7, 5 })
  vim.lsp.buf.code_action({
    apply = true,
    context = { only = { 'refactor' }, diagnostics = {} },
    filter = function(action)
      return action.title:lower():find('backfill', 1, true) ~= nil
    end,
  })
  local migrations = root .. '/convex/migrations.ts'
  local mbuf
  wait_for('convex/migrations.ts to be written', function()
    mbuf = vim.fn.bufnr(migrations)
    return mbuf ~= -1 and vim.api.nvim_buf_is_loaded(mbuf) and buffer_text(mbuf):find('users', 1, true) ~= nil
  end)
  vim.api.nvim_set_current_buf(mbuf)
  vim.cmd('silent write')
  wait_for('the server on convex/migrations.ts', function()
    return #vim.lsp.get_clients({ bufnr = mbuf, name = 'convex_migrate' }) > 0
  end)
  local run_line
  wait_for('a run code lens', function()
    local response = client:request_sync('textDocument/codeLens', { textDocument = { uri = vim.uri_from_bufnr(mbuf) } }, 5000, mbuf)
    for _, lens in ipairs(response and response.result or {}) do
      if lens.command and lens.command.command == 'convex-migrate.run' then
        run_line = lens.range.start.line
        return true
      end
    end
    return false
  end)
  vim.api.nvim_win_set_cursor(0, { run_line + 1, 0 })
  local before = #npx_calls()
  vim.cmd('LspConvexMigrateRun')
  wait_for('npx to run the backfill', function()
    return #npx_calls() > before
  end)
  local call = npx_calls()[before + 1]
  assert(call:match('^' .. vim.pesc(root) .. ' | convex run migrations:[%w_]+$'), call)
end)

step('a JavaScript file outside a Convex project starts no server', function()
  vim.cmd.edit(vim.fn.fnameescape(plain .. '/index.js'))
  local plain_buf = vim.api.nvim_get_current_buf()
  assert(vim.bo[plain_buf].filetype == 'javascript', 'filetype: ' .. vim.bo[plain_buf].filetype)
  -- Give a start the time it would take.
  vim.wait(1500, function()
    return #vim.lsp.get_clients({ bufnr = plain_buf, name = 'convex_migrate' }) > 0
  end, 50)
  assert(#vim.lsp.get_clients({ bufnr = plain_buf, name = 'convex_migrate' }) == 0, 'convex_migrate attached to ' .. plain .. '/index.js')
  assert(#vim.lsp.get_clients({ name = 'convex_migrate' }) == 1, 'one client, the project\'s')
  vim.cmd.bdelete(plain_buf)
end)

step('a project in a subfolder gets its own client, with the binary found up at the repository top', function()
  local sub = root .. '/packages/app'
  vim.fn.mkdir(sub .. '/convex', 'p')
  local file = sub .. '/convex/tasks.ts'
  vim.fn.writefile({ 'export const x = 1;' }, file)
  vim.cmd.edit(vim.fn.fnameescape(file))
  local sub_buf = vim.api.nvim_get_current_buf()
  local sub_client
  wait_for('a client for the subfolder project', function()
    sub_client = vim.lsp.get_clients({ bufnr = sub_buf, name = 'convex_migrate' })[1]
    return sub_client ~= nil and sub_client.initialized
  end)
  assert(sub_client.root_dir == sub, 'root_dir ' .. tostring(sub_client.root_dir))
  local started = lines_of(launcher_log)
  assert(#started == 2 and started[2] == sub .. ' | lsp', vim.inspect(started))
  sub_client:stop()
  vim.wait(10000, function()
    return sub_client:is_stopped()
  end, 50)
  vim.cmd.bdelete({ sub_buf, bang = true })
end)

step('the server exits on shutdown + exit', function()
  client:stop()
  local stopped = vim.wait(10000, function()
    return client:is_stopped()
  end, 50)
  if not stopped then
    client:stop(true) -- do not leave it running
  end
  assert(stopped, 'the server did not exit within 10 s of shutdown + exit')
end)

out(('%d passed, 0 failed'):format(passed))
os.exit(0)
