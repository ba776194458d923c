// The pipeline model and its loading/validation API: the config room's API,
// used by the engine (scheduler) and cli rooms. Every problem a user caused
// is a pw::Diagnostic located at its file:line:col.
#pragma once

#include <pipewright/util/diagnostic.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pw {

struct InputSpec {
  std::string name;
  bool required = false;
  std::optional<boost::json::value> default_value;
  std::string description;
  std::string type;  // "" (any) | string | number | boolean | object | array
  SourceLocation where;
};

struct RetrySpec {
  int max_attempts = 1;  // 1 = no retry
  std::chrono::milliseconds initial_backoff{1000};
  double factor = 2.0;
  std::chrono::milliseconds max_backoff{30000};
};

// What a plugin run with "isolation": "process" may use beyond its own file
// and private temporary directory: paths it reads, writes or executes, TCP
// ports it connects to, environment variables it receives. Ignored in
// process, where a plugin has the host's rights anyway.
struct IsolationGrants {
  std::vector<std::string> read, write, exec, env;
  std::vector<int> tcp;
};

struct AuthSpec {
  std::string name;  // key in "auth"
  std::string uses;  // plugin name, kind auth
  boost::json::object with;  // unresolved: may hold ${{ }} strings
  std::string isolation;     // "" | "in-process" | "process"
  IsolationGrants grants;
  SourceLocation where;
};

// A step's `matrix`: one run of `uses` per combination of the axes' values,
// less `exclude`, plus `include` (as in GitHub Actions). An axis, `include`
// and `exclude` are each a literal array or one "${{ }}" that yields an
// array when the step starts (inputs, a step's output, readJSON(path)).
struct MatrixSpec {
  std::map<std::string, boost::json::value> axes;  // axis -> array or "${{ }}" string
  boost::json::value include;  // null, array of objects, or "${{ }}"
  boost::json::value exclude;
  int max_parallel = 0;        // 0 = no extra limit
  std::string max_parallel_expr;  // "${{ }}" yielding max_parallel, when not a number
  bool fail_fast = true;       // a failed instance cancels the others
  std::string name;            // label template for each instance ("" = default label)
};
// Keys of a `matrix` that are options rather than axes.
bool is_matrix_option(std::string_view key);
// Why an axis (of_objects false) or include/exclude (true) value cannot be
// used: "is a string, not an array", "has no values"; nullopt when it can.
std::optional<std::string> matrix_data_problem(const boost::json::value& data, bool of_objects);
// The instances of a matrix, as GitHub Actions builds them: every
// combination of the axes (in axis name order), less those an `exclude`
// entry matches, then each `include` entry added to every combination it
// extends without changing an axis value, or as an instance of its own
// when it extends none.
std::vector<boost::json::object> matrix_instances(const std::map<std::string, boost::json::array>& axes,
                                                  const boost::json::array& include,
                                                  const boost::json::array& exclude);
// An instance's label when the matrix has no `name`: each axis value as
// text; an object by its "name", "tenant" or "id" member, else its
// position (1-based) among the instances.
std::string matrix_default_label(const boost::json::object& instance, std::size_t index);

struct StepSpec {
  std::string id;
  std::string name;  // display name; defaults to id
  std::string uses;  // plugin name, or a pipeline (path ending .json/.jsonc, or a ready pipeline name prefixed "pipeline:")
  boost::json::object with;  // unresolved
  std::string auth;          // name of an AuthSpec, may be empty
  std::vector<std::string> needs;
  std::string if_expr;       // "" = always run when needs succeeded
  bool continue_on_error = false;
  RetrySpec retry;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<MatrixSpec> matrix;
  std::string isolation;
  IsolationGrants grants;
  SourceLocation where;
};

struct Pipeline {
  std::filesystem::path file;
  std::string name;
  std::string description;
  std::map<std::string, InputSpec> inputs;
  std::map<std::string, AuthSpec> auths;
  std::vector<StepSpec> steps;
  // Pipeline outputs (for composition): name -> expression template.
  std::map<std::string, boost::json::value> outputs;
  // Location of every value by JSON Pointer ("/steps/0/with/name").
  std::map<std::string, SourceLocation> positions;
  // Location of every object key, by the pointer of the member it names.
  std::map<std::string, SourceLocation> key_positions;

  // The value's location, or its nearest located parent's.
  SourceLocation locate(std::string_view json_pointer) const;
  // The member's key location; falls back to locate().
  SourceLocation locate_key(std::string_view json_pointer) const;
  const StepSpec* find_step(std::string_view id) const;
};

// True when `uses` names a pipeline (a path ending .json/.jsonc or holding a
// '/', or "pipeline:NAME") rather than a plugin.
bool uses_is_pipeline(std::string_view uses);
// True for a plugin name: dot-separated lowercase identifiers ("core.echo").
bool is_plugin_name(std::string_view uses);
// "500ms", "30s", "5m", "1h" (a decimal number and a unit); nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// Every step id `step` must wait for: its `needs`, plus the steps referenced
// by its with/if and by the `with` of the auth it names. Sorted, unique,
// without the step itself.
std::vector<std::string> step_dependencies(const Pipeline& pipeline, const StepSpec& step);

// How a step waits for one step it depends on. `needs` = wait for the whole
// step; a reference = wait for the value. `whole`: until that step ends (it
// is in `needs`, or the step's `if` calls always(), failure() or
// cancelled(), which ask how it ended). Otherwise only until the `outputs`
// its expressions read (steps.ID.outputs.NAME) exist, which a composed
// pipeline step publishes one by one before it ends.
struct StepLink {
  std::string id;
  bool whole = false;
  std::set<std::string> outputs;
};
// The steps of step_dependencies, each with how it is waited for.
std::vector<StepLink> step_links(const Pipeline& pipeline, const StepSpec& step);

struct LoadResult {
  std::optional<Pipeline> pipeline;  // set when the file parsed into the model
  Diagnostics errors;                // every problem found, in file order, each at its file:line:col
};

// Reads and parses one pipeline file (JSON with comments and trailing
// commas), checking its shape strictly (unknown keys, types). Never throws
// for user mistakes.
LoadResult load_pipeline(const std::filesystem::path& file);
LoadResult parse_pipeline(std::string_view text, const std::filesystem::path& file);

// What validation needs to know about a plugin.
struct PluginInfo {
  std::string name;
  int kind = 0;  // PW_KIND_*
  boost::json::value params_schema;
  boost::json::value outputs_schema;
};

struct ValidationContext {
  std::function<const PluginInfo*(std::string_view name)> find_plugin;
  // Resolves a step's pipeline `uses` to a file; empty when not found.
  std::function<std::filesystem::path(std::string_view uses, const std::filesystem::path& from)> find_pipeline;
  std::map<std::string, boost::json::value> given_inputs;  // --input k=v
  bool check_required_inputs = true;  // false for `pipewright validate`
  // Optional: when set, env.X / secrets.X references that these deny are
  // reported at validation time.
  std::function<bool(std::string_view)> has_env;
  std::function<bool(std::string_view)> has_secret;
  // Optional: every plugin name, for "did you mean" hints on unknown plugins.
  std::function<std::vector<std::string>()> plugin_names;
  // Optional: handed each composed pipeline that was loaded and validated
  // without an error, by the file find_pipeline named, so that a run can
  // use it instead of reading it again.
  std::function<void(const std::filesystem::path& file, std::shared_ptr<const Pipeline>)> validated_child;
};

// Full semantic validation: plugins exist and have the right kind, every
// `with` against its plugin's params schema (valijson), every ${{ }}
// reference, `needs` ids and cycles, auth names. Returns every error.
Diagnostics validate_pipeline(const Pipeline& pipeline, const ValidationContext& ctx);

// ---- expressions -------------------------------------------------------

// A reference found in a template: "env.X", "secrets.X", "inputs.X",
// "steps.ID.outputs.X", "matrix.X".
struct Reference {
  std::string scope;  // env | secrets | inputs | steps | matrix
  std::string name;   // X, or the step id for steps
  std::string output; // output name for steps
  std::string text;   // the whole expression text, for messages
  std::vector<std::string> path;  // further ".field" accesses after X
  // env.X or secrets.X followed by a `||` fallback: when X is not set it
  // counts as null, so the fallback applies.
  bool optional = false;
};

// Every reference in a JSON template (strings holding ${{ }}), recursively.
std::vector<Reference> references_in(const boost::json::value& templ);
std::vector<Reference> references_in_expression(std::string_view expr);
// The references of an `if`, bare or wholly inside one ${{ }}.
std::vector<Reference> references_in_condition(std::string_view condition);
// True when an `if` calls always(), failure() or cancelled(): its answer
// depends on how the steps it needs ended, not only on their values.
bool condition_asks_how_steps_ended(std::string_view condition);

// Values an expression can see. Lookups return nullopt when unknown.
struct EvalScope {
  std::function<std::optional<std::string>(std::string_view)> env;
  std::function<std::optional<std::string>(std::string_view)> secrets;
  std::function<std::optional<boost::json::value>(std::string_view)> inputs;
  std::function<std::optional<boost::json::value>(std::string_view step, std::string_view output)> step_output;
  std::function<std::optional<boost::json::value>(std::string_view)> matrix;
  // Status of the needed steps for success()/failure()/always()/cancelled().
  bool needs_succeeded = true;
  bool run_cancelled = false;
  // Called with every secret value an expression reads, so it can be masked.
  std::function<void(std::string_view)> on_secret;
};

class ExpressionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Replaces every ${{ }} in a template. A string that is exactly one
// expression keeps the value's JSON type; an expression inside a longer
// string is converted to text. Throws ExpressionError.
boost::json::value evaluate_template(const boost::json::value& templ, const EvalScope& scope);

// Evaluates an `if` condition (with or without ${{ }}): literals, references,
// == != && || ! ( ), success() failure() always() cancelled().
bool evaluate_condition(std::string_view expr, const EvalScope& scope);

}  // namespace pw
