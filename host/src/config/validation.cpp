// Semantic validation of a parsed pipeline: plugins and their kinds, `with`
// against params schemas, composed pipelines' inputs, every ${{ }}
// reference, `needs` and dependency cycles. Never touches the network.
#include "config_internal.hpp"
#include "with_schema.hpp"

#include <pipewright/plugin.h>
#include <pipewright/util/edit_distance.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>

namespace pw {
namespace {

using util::closest_match;
using config_detail::pointer_append;

std::string join(const std::vector<std::string>& words, std::string_view separator) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += separator;
    out += word;
  }
  return out;
}

template <typename Map>
std::vector<std::string> keys_of(const Map& map) {
  std::vector<std::string> out;
  for (const auto& [key, value] : map) out.push_back(key);
  return out;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates, std::string otherwise) {
  const std::string guess = closest_match(word, candidates);
  return guess.empty() ? otherwise : "did you mean \"" + guess + "\"?";
}

// The names an outputs schema declares, or nullopt when it accepts any name.
// Absent "additionalProperties" counts as closed when "properties" is given:
// plugins list what they produce, and a typo should not pass silently.
std::optional<std::vector<std::string>> declared_outputs(const boost::json::value& schema) {
  const auto* object = schema.if_object();
  if (!object) return std::nullopt;
  const auto* properties = object->if_contains("properties");
  if (!properties || !properties->is_object()) return std::nullopt;
  if (const auto* extra = object->if_contains("additionalProperties"); extra && !(extra->is_bool() && !extra->get_bool()))
    return std::nullopt;
  std::vector<std::string> names;
  for (const auto& member : properties->as_object()) names.emplace_back(member.key());
  return names;
}

std::string kind_word(int kind) {
  switch (kind) {
    case PW_KIND_AUTH: return "an auth plugin";
    case PW_KIND_CHECK: return "a check plugin";
    case PW_KIND_STEP: return "a step plugin";
  }
  return "a plugin of unknown kind " + std::to_string(kind);
}

// A `matrix.NAME` reference is known when NAME is an axis or a key that
// `include` adds (any name, when include is computed).
bool matrix_has(const MatrixSpec& m, const std::string& name) {
  if (m.axes.contains(name) || m.include.is_string()) return true;
  if (const auto* entries = m.include.if_array())
    for (const auto& entry : *entries)
      if (entry.is_object() && entry.get_object().contains(name)) return true;
  return false;
}

class Validator {
 public:
  Validator(const ValidationContext& ctx, Diagnostics& errors,
            std::vector<std::filesystem::path>& include_stack)
      : ctx_(ctx), errors_(errors), include_stack_(include_stack) {}

  void run(const Pipeline& p) {
    p_ = &p;
    for (const auto& [name, auth] : p.auths) check_auth(auth);
    for (std::size_t i = 0; i < p.steps.size(); ++i) check_step(p.steps[i], pointer_append("/steps", i));
    for (const auto& [name, templ] : p.outputs) check_template(templ, pointer_append("/outputs", name), nullptr);
    check_cycles();
    if (ctx_.check_required_inputs) check_given_inputs();
  }

 private:
  void error(const std::string& pointer, std::string message, std::string hint = {}) {
    errors_.push_back(config_detail::config_error(p_->locate(pointer), std::move(message), std::move(hint)));
  }
  void error_at_key(const std::string& pointer, std::string message, std::string hint = {}) {
    errors_.push_back(config_detail::config_error(p_->locate_key(pointer), std::move(message), std::move(hint)));
  }

  const PluginInfo* find_plugin(const std::string& name, const std::string& pointer) {
    if (!ctx_.find_plugin) return nullptr;
    if (const PluginInfo* info = ctx_.find_plugin(name)) return info;
    std::string hint = "run `pipewright plugins list` to see the installed plugins";
    if (ctx_.plugin_names) hint = did_you_mean(name, ctx_.plugin_names(), hint);
    error(pointer, "unknown plugin \"" + name + "\"", hint);
    return nullptr;
  }

  void check_with(const PluginInfo& plugin, const boost::json::object& with, const std::string& pointer) {
    const auto locate = [&](const std::string& inside, bool at_key) {
      const std::string at = pointer + "/with" + inside;
      return at_key ? p_->locate_key(at) : p_->locate(at);
    };
    for (auto& problem : config_detail::check_with_schema(plugin.params_schema, with, locate)) {
      problem.summary += " (plugin \"" + plugin.name + "\")";
      errors_.push_back(std::move(problem));
    }
  }

  void check_auth(const AuthSpec& auth) {
    const std::string pointer = pointer_append("/auth", auth.name);
    if (!auth.uses.empty()) {
      if (const PluginInfo* plugin = find_plugin(auth.uses, pointer + "/uses")) {
        if (plugin->kind != PW_KIND_AUTH) {
          error(pointer + "/uses", "\"" + auth.uses + "\" is " + kind_word(plugin->kind) + ", not an auth plugin",
                "an auth entry needs a plugin of kind auth, e.g. cloudflare.auth.api_token");
        } else {
          check_with(*plugin, auth.with, pointer);
        }
      }
    }
    check_template(boost::json::value(auth.with), pointer + "/with", nullptr);
  }

  void check_step(const StepSpec& step, const std::string& pointer) {
    if (!step.uses.empty()) {
      if (uses_is_pipeline(step.uses)) {
        check_pipeline_step(step, pointer);
      } else if (const PluginInfo* plugin = find_plugin(step.uses, pointer + "/uses")) {
        if (plugin->kind != PW_KIND_CHECK && plugin->kind != PW_KIND_STEP) {
          error(pointer + "/uses", "\"" + step.uses + "\" is " + kind_word(plugin->kind) + " and cannot run as a step",
                plugin->kind == PW_KIND_AUTH ? "declare it under \"auth\" and name that entry in the step's \"auth\""
                                             : std::string());
        } else {
          check_with(*plugin, step.with, pointer);
        }
      }
    }
    for (std::size_t i = 0; i < step.needs.size(); ++i) {
      const std::string& need = step.needs[i];
      // "needs" may be one string; then its pointer has no index.
      const std::string at = p_->positions.contains(pointer + "/needs/0") ? pointer_append(pointer + "/needs", i)
                                                                           : pointer + "/needs";
      if (need == step.id) {
        error(at, "step \"" + step.id + "\" needs itself");
      } else if (!p_->find_step(need)) {
        error(at, "step \"" + step.id + "\" needs unknown step \"" + need + "\"",
              did_you_mean(need, step_ids(), "step ids: " + join(step_ids(), ", ")));
      }
    }
    check_template(boost::json::value(step.with), pointer + "/with", &step);
    if (!step.if_expr.empty()) check_condition(step, pointer + "/if");
    if (step.matrix) check_matrix(step, pointer + "/matrix");
  }

  void check_matrix(const StepSpec& step, const std::string& pointer) {
    const MatrixSpec& m = *step.matrix;
    for (const auto& [axis, values] : m.axes) {
      const std::string at = pointer_append(pointer, axis);
      check_template(values, at, nullptr);
      check_matrix_data(values, at, "matrix axis \"" + axis + "\"", false);
    }
    for (const char* key : {"include", "exclude"}) {
      const boost::json::value& entries = key[0] == 'i' ? m.include : m.exclude;
      if (entries.is_null()) continue;
      const std::string at = pointer_append(pointer, key);
      check_template(entries, at, nullptr);
      check_matrix_data(entries, at, "matrix \"" + std::string(key) + "\"", true);
    }
    if (!m.max_parallel_expr.empty())
      check_template(boost::json::value(m.max_parallel_expr), pointer + "/max_parallel", nullptr);
    if (!m.name.empty()) check_template(boost::json::value(m.name), pointer + "/name", &step);
  }

  // An axis, include or exclude given as one ${{ }}: what can be known
  // before the run is checked now (the input's declared type; its value and
  // a file read with readJSON when they are known); the rest when the step
  // starts.
  void check_matrix_data(const boost::json::value& data, const std::string& pointer, const std::string& what,
                         bool of_objects) {
    const auto* text = data.if_string();
    if (!text) return;
    const auto body = config_detail::sole_expression(*text);
    if (!body || config_detail::expression_syntax_error(*body)) return;
    const auto refs = references_in_expression(*body);
    bool only_inputs = true;
    for (const auto& ref : refs) only_inputs = only_inputs && ref.scope == "inputs" && p_->inputs.contains(ref.name);
    if (!only_inputs) return;
    if (refs.size() == 1 && refs[0].path.empty() && body->find('(') == std::string::npos) {
      const InputSpec& input = p_->inputs.at(refs[0].name);
      if (!input.type.empty() && input.type != "array") {
        error(pointer, what + " reads input \"" + input.name + "\", whose type is " + input.type + ", not array",
              input.type == "string" ? "declare \"type\": \"array\", or read a file of values with "
                                       "\"${{ readJSON(inputs." + input.name + ") }}\""
                                     : "declare \"type\": \"array\"");
        return;
      }
    }
    if (!ctx_.check_required_inputs) return;  // values unknown (pipewright validate)
    EvalScope scope;
    bool known = true;
    scope.inputs = [&](std::string_view name) -> std::optional<boost::json::value> {
      if (auto it = ctx_.given_inputs.find(std::string(name)); it != ctx_.given_inputs.end()) return it->second;
      if (auto it = p_->inputs.find(std::string(name)); it != p_->inputs.end() && it->second.default_value)
        return *it->second.default_value;
      known = false;
      return std::nullopt;
    };
    boost::json::value value;
    try {
      value = evaluate_template(data, scope);
    } catch (const ExpressionError& e) {
      if (known) error(pointer, what + ": " + e.what());
      return;
    }
    if (auto problem = matrix_data_problem(value, of_objects)) error(pointer, what + " " + *problem);
  }

  std::vector<std::string> step_ids() const {
    std::vector<std::string> ids;
    for (const auto& s : p_->steps) ids.push_back(s.id);
    return ids;
  }

  // Loads and validates a composed pipeline once; nullptr when unusable.
  const Pipeline* child_pipeline(const StepSpec& step, const std::string& pointer) {
    std::filesystem::path file;
    if (ctx_.find_pipeline) file = ctx_.find_pipeline(step.uses, p_->file);
    if (file.empty()) {
      error(pointer + "/uses", "pipeline \"" + step.uses + "\" not found",
            step.uses.starts_with("pipeline:") ? "run `pipewright pipelines list` to see the ready pipelines"
                                               : "paths are relative to the directory of the file that names them");
      return nullptr;
    }
    const auto key = std::filesystem::weakly_canonical(file);
    if (std::find(include_stack_.begin(), include_stack_.end(), key) != include_stack_.end()) {
      error(pointer + "/uses", "pipeline \"" + step.uses + "\" includes itself", "remove the circular composition");
      return nullptr;
    }
    if (auto it = children_.find(key); it != children_.end()) return it->second.get();
    LoadResult loaded = load_pipeline(file);
    errors_.insert(errors_.end(), loaded.errors.begin(), loaded.errors.end());
    auto& slot = children_[key];
    if (!loaded.errors.empty() || !loaded.pipeline) {
      error(pointer + "/uses", "pipeline \"" + step.uses + "\" has errors (listed with its file name)");
      return nullptr;
    }
    slot = std::make_shared<const Pipeline>(std::move(*loaded.pipeline));
    ValidationContext child_ctx = ctx_;
    child_ctx.given_inputs.clear();
    child_ctx.check_required_inputs = false;  // the step's `with` supplies them; checked below
    include_stack_.push_back(key);
    const std::size_t errors_before = errors_.size();
    Validator(child_ctx, errors_, include_stack_).run(*slot);
    include_stack_.pop_back();
    if (ctx_.validated_child && errors_.size() == errors_before) ctx_.validated_child(file, slot);
    return slot.get();
  }

  void check_pipeline_step(const StepSpec& step, const std::string& pointer) {
    const Pipeline* child = child_pipeline(step, pointer);
    if (!child) return;
    const auto names = keys_of(child->inputs);
    for (const auto& member : step.with) {
      const std::string name(member.key());
      const auto input = child->inputs.find(name);
      if (input == child->inputs.end()) {
        error_at_key(pointer_append(pointer + "/with", name), "pipeline \"" + step.uses + "\" has no input \"" + name + "\"",
                     did_you_mean(name, names, names.empty() ? "it declares no inputs" : "its inputs: " + join(names, ", ")));
      }
    }
    for (const auto& [name, input] : child->inputs) {
      if (input.required && !input.default_value && !step.with.contains(name)) {
        error(step.with.empty() ? pointer : pointer + "/with",
              "step \"" + step.id + "\" does not give required input \"" + name + "\" of pipeline \"" + step.uses + "\"",
              "add \"" + name + "\" to the step's \"with\"");
      }
    }
  }

  void check_condition(const StepSpec& step, const std::string& pointer) {
    std::string_view text = step.if_expr;
    if (config_detail::has_expression(text)) {
      const auto first = text.find_first_not_of(" \t\r\n");
      const auto last = text.find_last_not_of(" \t\r\n");
      if (!config_detail::sole_expression(text.substr(first, last - first + 1))) {
        error(pointer, "\"if\" must be one expression, either bare or wholly inside one ${{ }}",
              "write \"if\": \"inputs.env == 'prod'\" or \"${{ inputs.env == 'prod' }}\"");
        return;
      }
      check_template(boost::json::value(text), pointer, &step);
      return;
    }
    if (auto problem = config_detail::expression_syntax_error(text)) {
      error(pointer, *problem);
      return;
    }
    for (const auto& ref : references_in_expression(text)) check_reference(ref, pointer, &step);
  }

  // Every ${{ }} inside `templ` (at `pointer`): syntax, then references.
  void check_template(const boost::json::value& templ, const std::string& pointer, const StepSpec* step) {
    if (const auto* text = templ.if_string()) {
      std::string unclosed;
      for (const auto& body : config_detail::expressions_in_string(*text, &unclosed)) {
        if (auto problem = config_detail::expression_syntax_error(body)) {
          error(pointer, *problem);
          continue;
        }
        for (const auto& ref : references_in_expression(body)) check_reference(ref, pointer, step);
      }
      if (!unclosed.empty()) error(pointer, unclosed);
    } else if (const auto* array = templ.if_array()) {
      for (std::size_t i = 0; i < array->size(); ++i) check_template((*array)[i], pointer_append(pointer, i), step);
    } else if (const auto* object = templ.if_object()) {
      for (const auto& member : *object) check_template(member.value(), pointer_append(pointer, member.key()), step);
    }
  }

  void check_reference(const Reference& ref, const std::string& pointer, const StepSpec* step) {
    const std::string quoted = "'" + ref.text + "'";
    if (ref.scope != "env" && ref.scope != "secrets" && ref.scope != "inputs" && ref.scope != "steps" &&
        ref.scope != "matrix") {
      error(pointer, "unknown reference scope \"" + ref.scope + "\" in " + quoted,
            did_you_mean(ref.scope, {"env", "secrets", "inputs", "steps", "matrix"},
                         "references start with env., secrets., inputs., steps. or matrix.; quote text as 'text'"));
      return;
    }
    if (ref.name.empty()) {
      error(pointer, "incomplete reference " + quoted, "name what to read, e.g. " + ref.scope + ".NAME");
      return;
    }
    if (ref.scope == "inputs") {
      if (!p_->inputs.contains(ref.name)) {
        const auto names = keys_of(p_->inputs);
        error(pointer, "unknown input \"" + ref.name + "\" in " + quoted,
              did_you_mean(ref.name, names, "declare it under \"inputs\""));
      }
    } else if (ref.scope == "matrix") {
      if (!step || !step->matrix || !matrix_has(*step->matrix, ref.name)) {
        error(pointer, "matrix reference " + quoted + " outside a step with matrix axis \"" + ref.name + "\"",
              "matrix values are visible only in the `with`/`if` of the step that declares the matrix");
      }
    } else if (ref.scope == "env") {
      if (!ref.optional && ctx_.has_env && !ctx_.has_env(ref.name))
        error(pointer, "environment variable \"" + ref.name + "\" is not set (" + quoted + ")",
              "export it, or add it to the .env file");
    } else if (ref.scope == "secrets") {
      if (!ref.optional && ctx_.has_secret && !ctx_.has_secret(ref.name))
        error(pointer, "secret \"" + ref.name + "\" is not set (" + quoted + ")",
              "export it, or add it to the .env file");
    } else {
      check_step_reference(ref, pointer, step);
    }
  }

  void check_step_reference(const Reference& ref, const std::string& pointer, const StepSpec* step) {
    const std::string quoted = "'" + ref.text + "'";
    if (ref.output.empty()) {
      error(pointer, "reference " + quoted + " must have the form steps.ID.outputs.NAME");
      return;
    }
    if (step && ref.name == step->id) {
      error(pointer, "step \"" + step->id + "\" refers to its own output in " + quoted,
            "a step can read only the outputs of steps that ran before it");
      return;
    }
    const StepSpec* target = p_->find_step(ref.name);
    if (!target) {
      error(pointer, "unknown step \"" + ref.name + "\" in " + quoted,
            did_you_mean(ref.name, step_ids(), "step ids: " + join(step_ids(), ", ")));
      return;
    }
    std::optional<std::vector<std::string>> outputs;
    if (uses_is_pipeline(target->uses)) {
      if (ctx_.find_pipeline) {
        const auto file = ctx_.find_pipeline(target->uses, p_->file);
        if (!file.empty()) {
          auto it = children_.find(std::filesystem::weakly_canonical(file));
          if (it != children_.end() && it->second) outputs = keys_of(it->second->outputs);
        }
      }
    } else if (ctx_.find_plugin) {
      if (const PluginInfo* plugin = ctx_.find_plugin(target->uses)) outputs = declared_outputs(plugin->outputs_schema);
    }
    // A matrix step adds "matrix": each instance's name, status and error.
    if (outputs && target->matrix) outputs->push_back("matrix");
    if (outputs && std::find(outputs->begin(), outputs->end(), ref.output) == outputs->end()) {
      error(pointer, "step \"" + ref.name + "\" (" + target->uses + ") has no output \"" + ref.output + "\" in " + quoted,
            did_you_mean(ref.output, *outputs,
                         outputs->empty() ? "it declares no outputs" : "its outputs: " + join(*outputs, ", ")));
    }
  }

  void check_cycles() {
    // Depth-first search over explicit and implicit dependencies; each cycle
    // is reported once, at the step that closes it.
    std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
    std::vector<std::string> path;
    std::set<std::string> reported;
    std::function<void(const StepSpec&)> visit = [&](const StepSpec& step) {
      state[step.id] = 1;
      path.push_back(step.id);
      for (const auto& id : step_dependencies(*p_, step)) {
        const StepSpec* next = p_->find_step(id);
        if (!next) continue;
        if (state[id] == 1) {
          const auto start = std::find(path.begin(), path.end(), id);
          std::vector<std::string> cycle(start, path.end());
          cycle.push_back(id);
          std::vector<std::string> members(start, path.end());
          std::sort(members.begin(), members.end());
          if (reported.insert(join(members, ",")).second) {
            const std::size_t index = static_cast<std::size_t>(next - p_->steps.data());
            error(pointer_append("/steps", index), "dependency cycle: " + join(cycle, " -> "),
                  "steps wait for the steps in \"needs\" and for those whose outputs they read; break the cycle");
          }
        } else if (state[id] == 0) {
          visit(*next);
        }
      }
      path.pop_back();
      state[step.id] = 2;
    };
    for (const auto& step : p_->steps) {
      if (!step.id.empty() && state[step.id] == 0) visit(step);
    }
  }

  void check_given_inputs() {
    for (const auto& [name, input] : p_->inputs) {
      if (input.required && !input.default_value && !ctx_.given_inputs.contains(name)) {
        error_at_key(pointer_append("/inputs", name), "required input \"" + name + "\" has no value",
                     "pass --input " + name + "=VALUE");
      }
    }
    const auto names = keys_of(p_->inputs);
    for (const auto& [name, value] : ctx_.given_inputs) {
      if (!p_->inputs.contains(name)) {
        error("/inputs", "input \"" + name + "\" was given but the pipeline does not declare it",
              did_you_mean(name, names, names.empty() ? "this pipeline takes no inputs" : "inputs: " + join(names, ", ")));
      }
    }
  }

  const ValidationContext& ctx_;
  Diagnostics& errors_;
  std::vector<std::filesystem::path>& include_stack_;
  const Pipeline* p_ = nullptr;
  std::map<std::filesystem::path, std::shared_ptr<const Pipeline>> children_;
};

}  // namespace

Diagnostics validate_pipeline(const Pipeline& pipeline, const ValidationContext& ctx) {
  Diagnostics errors;
  std::vector<std::filesystem::path> include_stack{std::filesystem::weakly_canonical(pipeline.file)};
  Validator(ctx, errors, include_stack).run(pipeline);
  // This file's errors first, in file order; then each composed file's.
  const std::string own = pipeline.file.string();
  std::stable_sort(errors.begin(), errors.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    const SourceLocation& x = a.subject.where;
    const SourceLocation& y = b.subject.where;
    return std::tuple(x.file != own, x.file, x.line, x.column) < std::tuple(y.file != own, y.file, y.line, y.column);
  });
  return errors;
}

}  // namespace pw
