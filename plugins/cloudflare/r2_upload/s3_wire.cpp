#include "s3_wire.hpp"

#include <openssl/evp.h>

#include <pipewright/util/text.hpp>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <algorithm>
#include <sstream>
#include <string>

namespace pipewright::cloudflare::s3 {
namespace {

namespace pt = boost::property_tree;

// Boost's XML parser recurses once per nesting level, so a hostile endpoint could overflow
// the stack with deep nesting; S3 answers are small and at most a few levels deep.
constexpr std::size_t max_xml_bytes = 4u << 20;
constexpr int max_xml_depth = 16;

std::optional<pt::ptree> parse_xml(std::string_view xml, std::string& error) {
  if (xml.size() > max_xml_bytes) {
    error = "the S3 endpoint answered " + std::to_string(xml.size()) + " bytes of XML, more than the " +
            std::to_string(max_xml_bytes) + " accepted";
    return std::nullopt;
  }
  if (pw::util::xml_depth(xml, max_xml_depth) > max_xml_depth) {
    error = "the S3 endpoint answered XML nested more than " + std::to_string(max_xml_depth) + " deep";
    return std::nullopt;
  }
  std::istringstream in{std::string(xml)};
  pt::ptree tree;
  try {
    pt::read_xml(in, tree, pt::xml_parser::no_comments);
  } catch (const pt::xml_parser_error& e) {
    error = "the answer is not XML (" + e.message() + ")";
    return std::nullopt;
  }
  return tree;
}

std::string text_of(const pt::ptree& node, const char* child) { return node.get<std::string>(child, ""); }

std::string unquoted(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

}  // namespace

std::optional<ListPage> parse_list_page(std::string_view xml, std::string& error) {
  auto tree = parse_xml(xml, error);
  if (!tree) return std::nullopt;
  const auto result = tree->get_child_optional("ListBucketResult");
  if (!result) {
    error = "the answer is not a ListBucketResult";
    return std::nullopt;
  }
  ListPage page;
  for (const auto& [name, node] : *result) {
    if (name == "Contents") {
      ListedObject object;
      object.key = text_of(node, "Key");
      object.etag = unquoted(text_of(node, "ETag"));
      object.size = node.get<std::uint64_t>("Size", 0);
      page.objects.push_back(std::move(object));
    } else if (name == "CommonPrefixes") {
      page.common_prefixes.push_back(text_of(node, "Prefix"));
    }
  }
  page.truncated = result->get<std::string>("IsTruncated", "false") == "true";
  page.next_token = result->get<std::string>("NextContinuationToken", "");
  if (page.truncated && page.next_token.empty()) {
    error = "the listing is truncated but gives no continuation token";
    return std::nullopt;
  }
  return page;
}

std::optional<std::string> ListingCursor::refuse_next(const ListPage& page) {
  if (++pages_ >= max_pages_)
    return "the listing did not end after " + std::to_string(max_pages_) + " pages";
  if (!seen_.insert(page.next_token).second)
    return "the S3 endpoint answered a continuation token it had already given";
  return std::nullopt;
}

std::optional<Error> parse_error(std::string_view xml) {
  std::string ignored;
  auto tree = parse_xml(xml, ignored);
  if (!tree) return std::nullopt;
  const auto node = tree->get_child_optional("Error");
  if (!node) return std::nullopt;
  Error e{text_of(*node, "Code"), text_of(*node, "Message")};
  if (e.code.empty()) return std::nullopt;
  return e;
}

std::string delete_objects_body(const std::vector<std::string>& keys) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>";
  for (const auto& key : keys) body += "<Object><Key>" + pw::util::xml_escape(key) + "</Key></Object>";
  return body + "</Delete>";
}

std::optional<std::vector<std::pair<std::string, Error>>> parse_delete_result(std::string_view xml,
                                                                                std::string& error) {
  auto tree = parse_xml(xml, error);
  if (!tree) return std::nullopt;
  const auto result = tree->get_child_optional("DeleteResult");
  if (!result) {
    error = "the answer is not a DeleteResult";
    return std::nullopt;
  }
  std::vector<std::pair<std::string, Error>> failed;
  for (const auto& [name, node] : *result)
    if (name == "Error") failed.emplace_back(text_of(node, "Key"), Error{text_of(node, "Code"), text_of(node, "Message")});
  return failed;
}

std::optional<std::string> parse_upload_id(std::string_view xml) {
  std::string ignored;
  auto tree = parse_xml(xml, ignored);
  if (!tree) return std::nullopt;
  auto id = tree->get_optional<std::string>("InitiateMultipartUploadResult.UploadId");
  if (!id || id->empty()) return std::nullopt;
  return *id;
}

std::string complete_multipart_body(const std::vector<std::string>& part_etags) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload>";
  for (std::size_t i = 0; i < part_etags.size(); ++i)
    body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>\"" + pw::util::xml_escape(unquoted(part_etags[i])) +
            "\"</ETag></Part>";
  return body + "</CompleteMultipartUpload>";
}

std::string parse_complete_etag(std::string_view xml) {
  std::string ignored;
  auto tree = parse_xml(xml, ignored);
  if (!tree) return {};
  return unquoted(tree->get<std::string>("CompleteMultipartUploadResult.ETag", ""));
}

std::string content_md5(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(body.data(), body.size(), digest, &length, EVP_md5(), nullptr);
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

}  // namespace pipewright::cloudflare::s3
