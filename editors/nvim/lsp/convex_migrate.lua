---@brief
---
--- convex-migrate: safe Convex schema migrations (widen → migrate → narrow), checked as you type.
--- Diagnostics on schema changes that the next `npx convex deploy` would reject, code actions that
--- make a field optional first or write the backfill, hover with a field's migration state, and
--- code lenses over backfill and verify functions.
---
--- The server is the project's own when it has one: `node_modules/.bin/convex-migrate` (as
--- `npm i -D convex-migrate` installs it), looked for from the project root up to the repository's
--- top; else `convex-migrate` on PATH (`cargo install --path server` from the convex-migrate
--- repository). Setting `cmd` (`vim.lsp.config('convex_migrate', { cmd = { '/path/to/convex-migrate', 'lsp' } })`)
--- replaces that lookup. Then: `vim.lsp.enable('convex_migrate')`.
---
--- It starts only in Convex projects: a buffer below a folder with `convex.json` or a `convex/`
--- folder (the nearest is the root), not in every JavaScript repository, and never in `node_modules`.
---
--- Buffer-local commands (as nvim-lspconfig does it, through `client:exec_cmd()`):
--- - `:LspConvexMigrateRun [function]` runs a backfill with `npx convex run` in the project root:
---   the one under the cursor (its code lens), or the named one (`migrations:backfillUsersRole`).
--- - `:LspConvexMigrateVerify [function table.field]` runs a verify function and, when nothing is
---   left, records the field as verified in `convex-migrate.json`.
--- With a bang (`:LspConvexMigrateRun!`) they run against the production deployment (`--prod`),
--- after a confirmation.
---
--- Settings (`settings.convexMigrate`): `base` (the git revision that is deployed, e.g.
--- `"origin/main"`), `rules` (rule id → `"error"|"warning"|"info"|"hint"|"off"`), `npxPath`,
--- `snapshot` (a `npx convex export` zip, relative to the project root, to count documents from).

local RUN = 'convex-migrate.run'
local VERIFY = 'convex-migrate.verify'

--- Whether `dir` is a Convex project root: it holds `convex.json` or a `convex/` folder.
---@param dir string
---@return boolean
local function is_project(dir)
  local json = vim.uv.fs_stat(dir .. '/convex.json')
  local folder = vim.uv.fs_stat(dir .. '/convex')
  return (json ~= nil and json.type == 'file') or (folder ~= nil and folder.type == 'directory')
end

--- The Convex project holding a file: the nearest folder at or above it with `convex.json` or a
--- `convex/` folder; none inside `node_modules`.
---@param path string
---@return string?
local function project_root_of(path)
  if path == '' or path:find('/node_modules/', 1, true) then
    return nil
  end
  for dir in vim.fs.parents(path) do
    if is_project(dir) then
      return dir
    end
  end
  return nil
end

--- The Convex project holding the buffer.
---@param bufnr integer
---@return string?
local function project_root(bufnr)
  return project_root_of(vim.fs.normalize(vim.api.nvim_buf_get_name(bufnr)))
end

--- The server binary for a project: its own `node_modules/.bin/convex-migrate`, from `root` up to
--- the repository's top (the folder with `.git`; without one, `root` alone), else `convex-migrate`
--- on PATH.
---@param root string?
---@return string
local function server_binary(root)
  if root then
    local top = vim.fs.root(root, '.git') or root
    local dir = root
    while dir do
      local candidate = dir .. '/node_modules/.bin/convex-migrate'
      if vim.fn.executable(candidate) == 1 then
        return candidate
      end
      if dir == top then
        break
      end
      local parent = vim.fs.dirname(dir)
      dir = parent ~= dir and parent or nil
    end
  end
  return 'convex-migrate'
end

--- The server's code lens for `command` at the cursor: the lens of the function the cursor is in
--- (the nearest at or above the cursor line), or the only one of the buffer.
---@param lenses lsp.CodeLens[]
---@param command string
---@param line integer 0-based cursor line
---@return lsp.Command?
local function lens_command_at(lenses, command, line)
  local best, only, count
  count = 0
  for _, lens in ipairs(lenses or {}) do
    if lens.command and lens.command.command == command then
      count = count + 1
      only = lens
      local start = lens.range.start.line
      if start <= line and (not best or start > best.range.start.line) then
        best = lens
      end
    end
  end
  local chosen = best or (count == 1 and only) or nil
  return chosen and chosen.command or nil
end

---@param client vim.lsp.Client
---@param bufnr integer
---@param command string
---@param opts { fargs: string[], bang: boolean }
local function run_migration(client, bufnr, command, opts)
  local what = command == RUN and 'backfill' or 'verify function'
  local function notify(message, level)
    vim.notify('convex-migrate: ' .. message, level or vim.log.levels.ERROR)
  end

  ---@param cmd lsp.Command
  local function execute(cmd)
    local args = vim.deepcopy(cmd.arguments and cmd.arguments[1] or {})
    args.prod = opts.bang
    if opts.bang then
      local prompt = ('Run %s on the PRODUCTION deployment?'):format(args['function'])
      if vim.fn.confirm(prompt, '&Yes\n&No', 2) ~= 1 then
        return
      end
    end
    local line = ('npx convex run %s%s'):format(args['function'], opts.bang and ' --prod' or '')
    notify(('running `%s` in %s'):format(line, args.root), vim.log.levels.INFO)
    client:exec_cmd({ title = cmd.title or line, command = command, arguments = { args } }, { bufnr = bufnr }, function(err)
      -- The server reports the outcome itself (window/showMessage, progress, log); only a refusal
      -- (bad arguments, not a project of this workspace) comes back here.
      if err then
        notify(err.message)
      end
    end)
  end

  if opts.fargs[1] then
    local root = project_root(bufnr) or client.root_dir
    if not root then
      return notify('this buffer is not in a Convex project (no convex.json or convex/ above it)')
    end
    local field = opts.fargs[2]
    if command == VERIFY and not (field and field:match('^[^.]+%.[^.]+$')) then
      return notify('usage: :LspConvexMigrateVerify[!] FUNCTION TABLE.FIELD (e.g. migrations:verifyUsersRole users.role)')
    end
    return execute({
      title = opts.fargs[1],
      command = command,
      arguments = { { root = root, ['function'] = opts.fargs[1], field = command == VERIFY and field or nil } },
    })
  end

  local line = vim.api.nvim_win_get_cursor(0)[1] - 1
  local params = { textDocument = vim.lsp.util.make_text_document_params(bufnr) }
  client:request('textDocument/codeLens', params, function(err, lenses)
    if err then
      return notify('code lenses: ' .. err.message)
    end
    local cmd = lens_command_at(lenses, command, line)
    if not cmd then
      return notify(('no %s here: put the cursor on one (it has a code lens), or name it: :%s FUNCTION%s'):format(
        what,
        command == RUN and 'LspConvexMigrateRun' or 'LspConvexMigrateVerify',
        command == VERIFY and ' TABLE.FIELD' or ''
      ))
    end
    execute(cmd)
  end, bufnr)
end

---@type vim.lsp.Config
return {
  cmd = function(dispatchers, config)
    return vim.lsp.rpc.start({ server_binary(config.root_dir), 'lsp' }, dispatchers, {
      cwd = config.cmd_cwd or config.root_dir,
      env = config.cmd_env,
    })
  end,
  filetypes = { 'typescript', 'javascript', 'typescriptreact', 'javascriptreact' },
  -- Only Convex projects: no root, no server (not every JavaScript repository is one).
  root_dir = function(bufnr, on_dir)
    local root = project_root(bufnr)
    if root then
      on_dir(root)
    end
  end,
  workspace_required = true,
  settings = {
    convexMigrate = {
      rules = vim.empty_dict(),
    },
  },
  -- The server reads its settings at start too: the first analysis already uses them.
  before_init = function(params, config)
    if params.initializationOptions == nil and config.settings then
      params.initializationOptions = config.settings
    end
  end,
  on_attach = function(client, bufnr)
    vim.api.nvim_buf_create_user_command(bufnr, 'LspConvexMigrateRun', function(opts)
      run_migration(client, bufnr, RUN, opts)
    end, {
      nargs = '?',
      bang = true,
      desc = 'Run a Convex backfill (the one under the cursor, or FUNCTION) with npx convex run; ! for --prod',
    })
    vim.api.nvim_buf_create_user_command(bufnr, 'LspConvexMigrateVerify', function(opts)
      run_migration(client, bufnr, VERIFY, opts)
    end, {
      nargs = '*',
      bang = true,
      desc = 'Run a Convex verify function (under the cursor, or FUNCTION TABLE.FIELD) and record it; ! for --prod',
    })
  end,
}
